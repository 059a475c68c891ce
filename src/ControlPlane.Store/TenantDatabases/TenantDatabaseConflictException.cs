namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// The server holds something under the tenant's names that the operator must not take over or destroy
/// (a database owned by another role, a privileged role). Not retried: a human decides.
/// </summary>
public sealed class TenantDatabaseConflictException(TenantDatabaseConflictKind kind, string message) : Exception(message)
{
    /// <summary>Which conflict; the operator maps every kind to its own condition reason.</summary>
    public TenantDatabaseConflictKind Kind { get; } = kind;
}

/// <summary>What a <see cref="TenantDatabaseConflictException"/> found in the way.</summary>
public enum TenantDatabaseConflictKind
{
    /// <summary>A role of the tenant's names has privileges a tenant role never has (superuser, createdb, createrole…).</summary>
    RoleConflict,

    /// <summary>The tenant's database exists and is owned by a role that is not the tenant's.</summary>
    DatabaseOwnedByAnotherRole,

    /// <summary>A role of the tenant's names does not carry this tenant's ownership mark (ADR-CP-007).</summary>
    RoleNotOwned,

    /// <summary>The tenant's database does not carry this tenant's ownership mark (ADR-CP-007).</summary>
    DatabaseNotOwned,

    /// <summary>The catalog records the tenant elsewhere or as another one than the spec describes.</summary>
    CatalogMismatch,
}
