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

        /// <summary>The tenant server's admin role lacks a privilege it needs (CREATEDB, CREATEROLE); retried with backoff.</summary>
        public const string DatabasePermissionDenied = "DatabasePermissionDenied";

        /// <summary>The control-plane catalog database cannot be reached; retried with backoff.</summary>
        public const string CatalogUnavailable = "CatalogUnavailable";

        /// <summary>The secret manager cannot serve the tenant's password reference; retried with backoff unless denied.</summary>
        public const string SecretUnavailable = "SecretUnavailable";

        /// <summary>The Tenant is being deleted; cleanup runs behind the finalizer.</summary>
        public const string Deleting = "Deleting";
    }
}
