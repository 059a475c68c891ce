namespace ControlPlane.Store.Catalog;

/// <summary>The estate audit's statements on the catalog (kept apart from <see cref="CatalogSql"/>, which they only read).</summary>
internal static class AuditSql
{
    /// <summary>Every row, live and soft-deleted: retained data and leftovers belong to deleted rows.</summary>
    public const string ListAll = $"SELECT {CatalogSql.TenantColumns} FROM control_plane.tenants ORDER BY created_at, id";
}
