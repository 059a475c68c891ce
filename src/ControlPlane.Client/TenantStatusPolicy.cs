using ControlPlane.Store.Catalog;

namespace ControlPlane.Client;

/// <summary>
/// The status policy of specification §10 with the maintenance decision of ADR-CP-005, as a pure function: the
/// status decides first (a suspended or not-ready tenant is refused whatever its maintenance flag), and the
/// maintenance flag refines only <c>active</c>.
/// </summary>
internal static class TenantStatusPolicy
{
    /// <summary>The refusal for <paramref name="tenant"/>, or null when its connection may be handed out.</summary>
    public static ResolveResult? Refusal(CatalogTenant tenant, TimeSpan maintenanceRetryAfter) => tenant.Status switch
    {
        CatalogTenantStatus.Active when tenant.MaintenanceFlag => new ResolveResult.Maintenance(tenant.Slug, maintenanceRetryAfter),
        CatalogTenantStatus.Active => null,
        CatalogTenantStatus.Suspended => new ResolveResult.Suspended(tenant.Slug, tenant.SuspendedReason),
        CatalogTenantStatus.Provisioning or CatalogTenantStatus.Deleting => new ResolveResult.NotReady(tenant.Slug, tenant.Status),
        // Live lookups never return deleted rows (deleted_at is stamped on entering 'deleted'); refuse anyway.
        _ => new ResolveResult.NotFound(tenant.Slug),
    };
}
