namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Whose objects the operator may touch for one tenant. Before any ALTER, GRANT, REVOKE, DROP or password change the
/// objects must carry <see cref="Tenant"/>'s mark (<see cref="OwnershipMark"/>); nothing else is assumed from a name.
/// </summary>
/// <param name="Tenant">The catalog id of the tenant being converged.</param>
/// <param name="AdoptFrom">
/// A deleted tenant whose retained objects this tenant explicitly adopts (checked against the catalog by the caller:
/// same namespace, same database); objects carrying its mark are re-marked for <paramref name="Tenant"/>.
/// </param>
/// <param name="ClaimUnmarked">
/// Objects without any mark may be marked (upgrade from a release that did not mark): only when this tenant's own
/// catalog row proves it finished provisioning them. Never for a row still provisioning.
/// </param>
public sealed record TenantOwnership(Guid Tenant, Guid? AdoptFrom = null, bool ClaimUnmarked = false)
{
    /// <summary>Whether an object whose comment is <paramref name="comment"/> may be converged for this tenant.</summary>
    public bool Accepts(string? comment) => OwnershipMark.Parse(comment) is { } marked
        ? marked == Tenant || marked == AdoptFrom
        : comment is null && ClaimUnmarked;

    /// <summary>Whether the comment is already this tenant's mark (nothing to re-mark).</summary>
    public bool IsMarked(string? comment) => OwnershipMark.Parse(comment) == Tenant;
}
