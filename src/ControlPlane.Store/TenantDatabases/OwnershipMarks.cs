namespace ControlPlane.Store.TenantDatabases;

/// <summary>The marks observed on a tenant's database and on each of its roles (<see cref="TenantDatabaseTarget.OwnedRoles"/>).</summary>
/// <param name="Database">The database's comment; null when it has none or does not exist.</param>
/// <param name="Roles">One entry per owned role, in the spec's order.</param>
public sealed record OwnershipMarks(string? Database, IReadOnlyList<ObservedRoleMark> Roles)
{
    public static readonly OwnershipMarks None = new(null, []);

    public bool Equals(OwnershipMarks? other) =>
        other is not null && Database == other.Database && Roles.SequenceEqual(other.Roles);

    public override int GetHashCode() => HashCode.Combine(Database, Roles.Count);

    /// <summary>The comment of <paramref name="role"/>; null when the role has none or is not observed.</summary>
    public string? Of(string role) => Roles.FirstOrDefault(r => r.Role == role)?.Mark;
}

/// <summary>One role of the tenant as observed: whether it exists and its comment.</summary>
public sealed record ObservedRoleMark(string Role, bool Exists, string? Mark);
