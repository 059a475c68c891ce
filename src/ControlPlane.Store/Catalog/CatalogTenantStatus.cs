namespace ControlPlane.Store.Catalog;

/// <summary>
/// Where a tenant is in its life (<c>tenants.status</c>). <see cref="Deleted"/> is the terminal state of a
/// soft-deleted row (ADR-CP-001).
/// </summary>
public enum CatalogTenantStatus
{
    Provisioning,
    Active,
    Suspended,
    Deleting,
    Deleted,
}

/// <summary>The text stored in <c>tenants.status</c> for each <see cref="CatalogTenantStatus"/>, and back.</summary>
public static class CatalogTenantStatuses
{
    public static string ToSql(this CatalogTenantStatus status) => status switch
    {
        CatalogTenantStatus.Provisioning => "provisioning",
        CatalogTenantStatus.Active => "active",
        CatalogTenantStatus.Suspended => "suspended",
        CatalogTenantStatus.Deleting => "deleting",
        CatalogTenantStatus.Deleted => "deleted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown tenant status."),
    };

    public static CatalogTenantStatus Parse(string value) => value switch
    {
        "provisioning" => CatalogTenantStatus.Provisioning,
        "active" => CatalogTenantStatus.Active,
        "suspended" => CatalogTenantStatus.Suspended,
        "deleting" => CatalogTenantStatus.Deleting,
        "deleted" => CatalogTenantStatus.Deleted,
        _ => throw new FormatException($"'{value}' is not a tenant status."),
    };
}
