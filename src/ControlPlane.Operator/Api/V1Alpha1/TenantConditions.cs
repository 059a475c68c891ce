using ControlPlane.Core.Wire;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>Condition types of a Tenant, declared once. Users and Argo CD read these.</summary>
public static class TenantConditions
{
    /// <summary>True when the tenant's database is provisioned and serving; its reason is a <see cref="TenantReadyReason"/>.</summary>
    public const string Ready = "Ready";
}

/// <summary>
/// Why a Tenant is (not) Ready: the reason of its <see cref="TenantConditions.Ready"/> condition, of the Event recorded
/// when Ready changes, and of the catalog's <c>error</c> event. Users, Argo CD's health check (config/argocd) and the
/// CRD documentation read the wire values.
/// </summary>
public enum TenantReadyReason
{
    /// <summary>The spec fails a rule the CRD schema cannot express (unknown server, bad default slug…). Fix the spec.</summary>
    InvalidSpec,

    /// <summary>
    /// The Tenant names no server and no TenantDatabaseServer takes it: none ready, all draining or full, or none
    /// matching spec.database.serverSelector. The message names each server and why; placed as soon as one does.
    /// </summary>
    NoServerAvailable,

    /// <summary>Provisioning is under way (catalog row, secret, role, database, migrations).</summary>
    Provisioning,

    /// <summary>The database exists, is migrated to the target schema version and accepts the tenant's logins.</summary>
    Provisioned,

    /// <summary>The tenant is suspended: no logins, no connections, data untouched.</summary>
    Suspended,

    /// <summary>Another live tenant already has this slug (case-insensitive). Nothing was touched.</summary>
    SlugConflict,

    /// <summary>Another live tenant already has this database name (case-insensitive). Nothing was touched.</summary>
    DatabaseNameConflict,

    /// <summary>The server holds a database or role of that name that the operator must not take over.</summary>
    DatabaseConflict,

    /// <summary>spec.schemaVersion names a version the operator does not ship.</summary>
    UnknownSchemaVersion,

    /// <summary>spec.schemaVersion is older than the database's; there are no down-migrations.</summary>
    SchemaDowngradeRefused,

    /// <summary>A tenant schema migration failed; the message carries the database's error.</summary>
    SchemaMigrationFailed,

    /// <summary>The tenant database server cannot be reached or refused the admin role; retried with backoff.</summary>
    DatabaseServerUnavailable,

    /// <summary>
    /// TLS to the tenant database server failed: its certificate does not chain to the configured CA bundle, does not
    /// name the host, or the server offers no TLS. Nothing was written anywhere; retried with backoff.
    /// </summary>
    DatabaseServerTlsFailed,

    /// <summary>
    /// The tenant's database server already runs its <c>maxConcurrentOperations</c>; the tenant waits in the server's
    /// line (without holding a worker) and provisioning starts when a slot frees. Shown only before the first provisioning.
    /// </summary>
    DatabaseServerBusy,

    /// <summary>The tenant server's admin role lacks a privilege it needs (CREATEDB, CREATEROLE); retried with backoff.</summary>
    DatabasePermissionDenied,

    /// <summary>The control-plane catalog database cannot be reached; retried with backoff.</summary>
    CatalogUnavailable,

    /// <summary>The secret manager cannot serve the tenant's password reference; retried with backoff unless denied.</summary>
    SecretUnavailable,

    /// <summary>The Tenant is being deleted; cleanup runs behind the finalizer.</summary>
    Deleting,

    /// <summary>
    /// Deletion cannot finish and the message says why (server removed from the configuration, server failing since
    /// a time, a role owning objects in other databases) and how to proceed, including the skip-cleanup annotation.
    /// </summary>
    DeletionBlocked,

    /// <summary>The tenant server refused the admin role's login (SQLSTATE class 28): its user or secret is wrong.</summary>
    DatabaseAuthenticationFailed,

    /// <summary>A concurrent change got in the way (serialization failure, deadlock, lock timeout); retried at once.</summary>
    DatabaseContention,

    /// <summary>The tenant server refused a statement for another reason; the message carries its SQLSTATE.</summary>
    DatabaseOperationFailed,

    /// <summary>The catalog refused a statement (not a connection failure); the message carries its SQLSTATE.</summary>
    CatalogRefused,

    /// <summary>The secret the spec names does not exist; retried periodically.</summary>
    SecretNotFound,

    /// <summary>The secret manager denies the operator the tenant's secret; retried periodically.</summary>
    SecretAccessDenied,

    /// <summary>The Kubernetes API refused or failed a call of the reconcile (forbidden, throttled, unavailable).</summary>
    KubernetesApiFailed,

    /// <summary>A failure no other reason names kept repeating; the message carries its type and text (redacted).</summary>
    ReconcileFailed,
}

/// <summary>
/// The wire value of each <see cref="TenantReadyReason"/> (its name), and back. The rule for every reason type of the
/// code base: <c>ToWire()</c>, an exhaustive switch in the file that defines the type, is the only way to the string a
/// condition, an Event, the catalog, a metric or a log carries (a renamed member keeps its wire value; a new member
/// does not compile without one), and <c>TryParse</c> (the index of <c>ToWire</c> that <see cref="WireValues"/> keeps) the
/// only way back from an object or a row; never <c>ToString()</c> or <c>Enum.Parse</c>.
/// </summary>
public static class TenantReadyReasons
{
    public static string ToWire(this TenantReadyReason reason) => reason switch
    {
        TenantReadyReason.InvalidSpec => "InvalidSpec",
        TenantReadyReason.NoServerAvailable => "NoServerAvailable",
        TenantReadyReason.Provisioning => "Provisioning",
        TenantReadyReason.Provisioned => "Provisioned",
        TenantReadyReason.Suspended => "Suspended",
        TenantReadyReason.SlugConflict => "SlugConflict",
        TenantReadyReason.DatabaseNameConflict => "DatabaseNameConflict",
        TenantReadyReason.DatabaseConflict => "DatabaseConflict",
        TenantReadyReason.UnknownSchemaVersion => "UnknownSchemaVersion",
        TenantReadyReason.SchemaDowngradeRefused => "SchemaDowngradeRefused",
        TenantReadyReason.SchemaMigrationFailed => "SchemaMigrationFailed",
        TenantReadyReason.DatabaseServerUnavailable => "DatabaseServerUnavailable",
        TenantReadyReason.DatabaseServerTlsFailed => "DatabaseServerTlsFailed",
        TenantReadyReason.DatabaseServerBusy => "DatabaseServerBusy",
        TenantReadyReason.DatabasePermissionDenied => "DatabasePermissionDenied",
        TenantReadyReason.CatalogUnavailable => "CatalogUnavailable",
        TenantReadyReason.SecretUnavailable => "SecretUnavailable",
        TenantReadyReason.Deleting => "Deleting",
        TenantReadyReason.DeletionBlocked => "DeletionBlocked",
        TenantReadyReason.DatabaseAuthenticationFailed => "DatabaseAuthenticationFailed",
        TenantReadyReason.DatabaseContention => "DatabaseContention",
        TenantReadyReason.DatabaseOperationFailed => "DatabaseOperationFailed",
        TenantReadyReason.CatalogRefused => "CatalogRefused",
        TenantReadyReason.SecretNotFound => "SecretNotFound",
        TenantReadyReason.SecretAccessDenied => "SecretAccessDenied",
        TenantReadyReason.KubernetesApiFailed => "KubernetesApiFailed",
        TenantReadyReason.ReconcileFailed => "ReconcileFailed",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out TenantReadyReason reason) => WireValues.TryParse(wire, ToWire, out reason);
}
