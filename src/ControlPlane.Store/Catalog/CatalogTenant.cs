using ControlPlane.Core.Secrets;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// One row of <c>control_plane.tenants</c>. Times are the database's clock, in UTC. <see cref="DbServer"/> is the name of
/// the tenant database server it was placed on (V15); null on rows registered before placement until backfilled.
/// </summary>
public sealed record CatalogTenant(
    Guid Id,
    string Slug,
    string DisplayName,
    string DbName,
    string DbHost,
    int DbPort,
    string DbUser,
    SecretReference DbSecretRef,
    string? SchemaVersion,
    string? AppVersion,
    CatalogTenantStatus Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? DeletedAt,
    string? BillingPlan,
    string? ContactEmail,
    string? SuspendedReason,
    bool MaintenanceFlag,
    TenantOwner? Owner = null,
    string? DbServer = null)
{
    /// <summary>Keyset position of this row in <see cref="TenantCatalog.ListByStatusAsync"/>.</summary>
    public TenantCursor Cursor => new(UpdatedAt, Id);
}
