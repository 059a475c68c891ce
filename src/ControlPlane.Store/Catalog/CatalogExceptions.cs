namespace ControlPlane.Store.Catalog;

/// <summary>
/// A catalog write was refused for a reason the caller can act on. Raw SQLSTATEs never leave
/// <see cref="TenantCatalog"/>: unique, foreign-key and transition failures arrive as one of these.
/// </summary>
public abstract class CatalogException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Another live tenant already uses this slug (compared case-insensitively).</summary>
public sealed class SlugTakenException(string slug, Exception? inner = null)
    : CatalogException($"The slug '{slug}' is already used by a live tenant.", inner)
{
    public string Slug { get; } = slug;
}

/// <summary>Another live tenant already uses this database name (compared case-insensitively).</summary>
public sealed class DatabaseNameTakenException(string dbName, Exception? inner = null)
    : CatalogException($"The database name '{dbName}' is already used by a live tenant.", inner)
{
    public string DbName { get; } = dbName;
}

/// <summary>The Kubernetes object already owns another live tenant row; it cannot register a second one.</summary>
public sealed class OwnerTakenException(TenantOwner owner, Exception? inner = null)
    : CatalogException($"Tenant {owner.Namespace}/{owner.Name} already owns a live tenant row.", inner)
{
    public TenantOwner Owner { get; } = owner;
}

/// <summary>No tenant has this id (soft-deleted tenants are still found by id).</summary>
public sealed class TenantNotFoundException(Guid id, Exception? inner = null)
    : CatalogException($"No tenant has id {id}.", inner)
{
    public Guid Id { get; } = id;
}

/// <summary>
/// The tenant's current status does not allow the request: a status change outside the lifecycle
/// (e.g. deleted → active) or a write to a deleted tenant.
/// </summary>
public sealed class IllegalTransitionException(string slug, CatalogTenantStatus current, string requested)
    : CatalogException($"Tenant '{slug}' is {current.ToSql()}; {requested} is not allowed from there.")
{
    public string Slug { get; } = slug;

    public CatalogTenantStatus Current { get; } = current;

    /// <summary>The target status (e.g. "active") or the operation (e.g. "record a migration").</summary>
    public string Requested { get; } = requested;
}

/// <summary>
/// <see cref="TenantCatalog.RecordMigrationAsync"/> was told the schema moved from a version the catalog
/// does not hold: someone else migrated the tenant meanwhile, or the caller read stale state.
/// </summary>
public sealed class SchemaVersionMismatchException(string slug, string? expected, string? actual)
    : CatalogException($"Tenant '{slug}' is at schema version {actual ?? "(none)"}, not {expected ?? "(none)"}.")
{
    public string? Expected { get; } = expected;

    public string? Actual { get; } = actual;
}

/// <summary>The tenant row is owned by another Kubernetes object than the one asking.</summary>
public sealed class OwnerMismatchException(string slug, TenantOwner recorded, TenantOwner asking)
    : CatalogException($"Tenant '{slug}' is owned by {recorded.Namespace}/{recorded.Name}, not by {asking.Namespace}/{asking.Name}.")
{
    public TenantOwner Recorded { get; } = recorded;
}

/// <summary>The row records another tenant database server: a placement, once recorded, never moves (V15).</summary>
public sealed class ServerMismatchException(string slug, string recorded, string asking)
    : CatalogException($"Tenant '{slug}' lives on database server '{recorded}', not '{asking}'.")
{
    public string Recorded { get; } = recorded;
}
