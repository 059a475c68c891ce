namespace ControlPlane.Store.Catalog;

/// <summary>
/// Where a tenant is in its life (<c>tenants.status</c>). <see cref="Deleted"/> is the terminal state of a
/// soft-deleted row (ADR-CP-001).
/// </summary>
public enum TenantStatus
{
    Provisioning,
    Active,
    Suspended,
    Deleting,
    Deleted,
}

/// <summary>The text stored in <c>tenants.status</c> for each <see cref="TenantStatus"/>, and back.</summary>
public static class TenantStatuses
{
    public static string ToSql(this TenantStatus status) => status switch
    {
        TenantStatus.Provisioning => "provisioning",
        TenantStatus.Active => "active",
        TenantStatus.Suspended => "suspended",
        TenantStatus.Deleting => "deleting",
        TenantStatus.Deleted => "deleted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown tenant status."),
    };

    public static TenantStatus Parse(string value) => value switch
    {
        "provisioning" => TenantStatus.Provisioning,
        "active" => TenantStatus.Active,
        "suspended" => TenantStatus.Suspended,
        "deleting" => TenantStatus.Deleting,
        "deleted" => TenantStatus.Deleted,
        _ => throw new FormatException($"'{value}' is not a tenant status."),
    };
}
