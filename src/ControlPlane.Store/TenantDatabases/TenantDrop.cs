namespace ControlPlane.Store.TenantDatabases;

/// <summary>What <see cref="TenantDatabaseAdministrator.DropAsync"/> could not remove.</summary>
/// <param name="NotOwned">Objects under the tenant's names left because they are not provably the tenant's.</param>
/// <param name="Blocked">
/// The tenant's own roles whose <c>DROP ROLE</c> failed with dependent objects (2BP01) in other databases than the
/// tenant's (dropped with everything in it); each such role is left locked (NOLOGIN, sessions ended).
/// </param>
public sealed record TenantDrop(IReadOnlyList<string> NotOwned, IReadOnlyList<RoleDependency> Blocked)
{
    /// <summary>Roles left behind, provably the tenant's or not.</summary>
    public bool RoleLeft => Blocked.Count > 0 || NotOwned.Any(o => o.StartsWith("role ", StringComparison.Ordinal));
}

/// <summary>What keeps <paramref name="Role"/> alive in <paramref name="Database"/> (null: a tablespace or a parameter).</summary>
public sealed record RoleDependency(string Role, string? Database, bool OwnsObjects, bool HoldsPrivileges, bool OwnsDatabase, bool DatabasePrivileges)
{
    /// <summary>In words, e.g. "role acme owns objects in database ledger".</summary>
    public string Describe()
    {
        var what = new List<string>();
        if (OwnsDatabase)
        {
            what.Add($"owns database {Database}");
        }

        if (DatabasePrivileges)
        {
            what.Add($"holds privileges on database {Database}");
        }

        if (OwnsObjects)
        {
            what.Add($"owns objects in database {Database}");
        }

        if (HoldsPrivileges)
        {
            what.Add($"holds privileges on objects in database {Database}");
        }

        return $"role {Role} {(what.Count == 0 ? "owns or holds privileges on a tablespace or parameter" : string.Join(" and ", what))}";
    }
}
