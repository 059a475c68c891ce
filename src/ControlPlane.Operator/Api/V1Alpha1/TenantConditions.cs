namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>Condition types and their stable reasons, declared once. Users and Argo CD read these.</summary>
public static class TenantConditions
{
    /// <summary>True when the tenant's database is provisioned and serving.</summary>
    public const string Ready = "Ready";

    public static class Reasons
    {
        /// <summary>The spec fails a rule the CRD schema cannot express (unknown server, bad default slug…). Fix the spec.</summary>
        public const string InvalidSpec = "InvalidSpec";

        /// <summary>
        /// The Tenant names no server and no TenantDatabaseServer takes it: none ready, all draining or full, or none
        /// matching spec.database.serverSelector. The message names each server and why; placed as soon as one does.
        /// </summary>
        public const string NoServerAvailable = "NoServerAvailable";

        /// <summary>Provisioning is under way (catalog row, secret, role, database, migrations).</summary>
        public const string Provisioning = "Provisioning";

        /// <summary>The database exists, is migrated to the target schema version and accepts the tenant's logins.</summary>
        public const string Provisioned = "Provisioned";

        /// <summary>The tenant is suspended: no logins, no connections, data untouched.</summary>
        public const string Suspended = "Suspended";

        /// <summary>Another live tenant already has this slug (case-insensitive). Nothing was touched.</summary>
        public const string SlugConflict = "SlugConflict";

        /// <summary>Another live tenant already has this database name (case-insensitive). Nothing was touched.</summary>
        public const string DatabaseNameConflict = "DatabaseNameConflict";

        /// <summary>The server holds a database or role of that name that the operator must not take over.</summary>
        public const string DatabaseConflict = "DatabaseConflict";

        /// <summary>spec.schemaVersion names a version the operator does not ship.</summary>
        public const string UnknownSchemaVersion = "UnknownSchemaVersion";

        /// <summary>spec.schemaVersion is older than the database's; there are no down-migrations.</summary>
        public const string SchemaDowngradeRefused = "SchemaDowngradeRefused";

        /// <summary>A tenant schema migration failed; the message carries the database's error.</summary>
        public const string SchemaMigrationFailed = "SchemaMigrationFailed";

        /// <summary>The tenant database server cannot be reached or refused the admin role; retried with backoff.</summary>
        public const string DatabaseServerUnavailable = "DatabaseServerUnavailable";

        /// <summary>
        /// TLS to the tenant database server failed: its certificate does not chain to the configured CA bundle, does not
        /// name the host, or the server offers no TLS. Nothing was written anywhere; retried with backoff.
        /// </summary>
        public const string DatabaseServerTlsFailed = "DatabaseServerTlsFailed";

        /// <summary>
        /// The tenant's database server already runs its <c>maxConcurrentOperations</c>; the tenant waits in the server's
        /// line (without holding a worker) and provisioning starts when a slot frees. Shown only before the first provisioning.
        /// </summary>
        public const string DatabaseServerBusy = "DatabaseServerBusy";

        /// <summary>The tenant server's admin role lacks a privilege it needs (CREATEDB, CREATEROLE); retried with backoff.</summary>
        public const string DatabasePermissionDenied = "DatabasePermissionDenied";

        /// <summary>The control-plane catalog database cannot be reached; retried with backoff.</summary>
        public const string CatalogUnavailable = "CatalogUnavailable";

        /// <summary>The secret manager cannot serve the tenant's password reference; retried with backoff unless denied.</summary>
        public const string SecretUnavailable = "SecretUnavailable";

        /// <summary>The Tenant is being deleted; cleanup runs behind the finalizer.</summary>
        public const string Deleting = "Deleting";

        /// <summary>
        /// Deletion cannot finish and the message says why (server removed from the configuration, server failing since
        /// a time, a role owning objects in other databases) and how to proceed, including the skip-cleanup annotation.
        /// </summary>
        public const string DeletionBlocked = "DeletionBlocked";

        /// <summary>The tenant server refused the admin role's login (SQLSTATE class 28): its user or secret is wrong.</summary>
        public const string DatabaseAuthenticationFailed = "DatabaseAuthenticationFailed";

        /// <summary>A concurrent change got in the way (serialization failure, deadlock, lock timeout); retried at once.</summary>
        public const string DatabaseContention = "DatabaseContention";

        /// <summary>The tenant server refused a statement for another reason; the message carries its SQLSTATE.</summary>
        public const string DatabaseOperationFailed = "DatabaseOperationFailed";

        /// <summary>The catalog refused a statement (not a connection failure); the message carries its SQLSTATE.</summary>
        public const string CatalogRefused = "CatalogRefused";

        /// <summary>The secret the spec names does not exist; retried periodically.</summary>
        public const string SecretNotFound = "SecretNotFound";

        /// <summary>The secret manager denies the operator the tenant's secret; retried periodically.</summary>
        public const string SecretAccessDenied = "SecretAccessDenied";

        /// <summary>The Kubernetes API refused or failed a call of the reconcile (forbidden, throttled, unavailable).</summary>
        public const string KubernetesApiFailed = "KubernetesApiFailed";

        /// <summary>A failure no other reason names kept repeating; the message carries its type and text (redacted).</summary>
        public const string ReconcileFailed = "ReconcileFailed";
    }
}
