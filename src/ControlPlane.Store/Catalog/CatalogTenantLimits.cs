namespace ControlPlane.Store.Catalog;

/// <summary>The optional 1:1 limits of a tenant (<c>control_plane.tenant_limits</c>); null means "no limit set".</summary>
public sealed record CatalogTenantLimits(int? MaxDbSizeMb = null, int? MaxUsers = null, int? MaxAttachmentsGb = null, string? Notes = null)
{
    public void Validate()
    {
        if (MaxDbSizeMb is <= 0) { throw new ArgumentException("max_db_size_mb must be positive.", nameof(MaxDbSizeMb)); }
        if (MaxUsers is <= 0) { throw new ArgumentException("max_users must be positive.", nameof(MaxUsers)); }
        if (MaxAttachmentsGb is < 0) { throw new ArgumentException("max_attachments_gb must not be negative.", nameof(MaxAttachmentsGb)); }
    }
}

/// <summary>A tenant row and its limits (null: none set), read together.</summary>
public sealed record TenantWithLimits(CatalogTenant Tenant, CatalogTenantLimits? Limits);
