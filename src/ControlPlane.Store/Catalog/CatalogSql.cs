namespace ControlPlane.Store.Catalog;

/// <summary>
/// Every statement <see cref="TenantCatalog"/> issues, in one place. Values are always parameters ($1…);
/// the tables are fixed names of the catalog schema. Lookups are written to match the partial unique
/// indexes (<c>lower(slug) … AND deleted_at IS NULL</c>) so they are index scans.
/// </summary>
internal static class CatalogSql
{
    public const string TenantColumns = """
        id, slug, display_name, db_name, db_host, db_port, db_user, db_secret_ref, schema_version, app_version,
        status, created_at, updated_at, deleted_at, billing_plan, contact_email, suspended_reason, maintenance_flag,
        owner_namespace, owner_name, owner_uid, db_server
        """;

    public const string FindBySlug =
        $"SELECT {TenantColumns} FROM control_plane.tenants WHERE lower(slug) = lower($1) AND deleted_at IS NULL";

    public const string GetById = $"SELECT {TenantColumns} FROM control_plane.tenants WHERE id = $1";

    /// <summary>
    /// <see cref="GetById"/> and <see cref="GetLimits"/> in one statement (a healthy tenant's resync reads nothing else):
    /// the tenant columns first, in <see cref="TenantColumns"/> order, then the limits by name (has_limits false: none set).
    /// </summary>
    public const string GetByIdWithLimits = $"""
        WITH t AS (SELECT {TenantColumns} FROM control_plane.tenants WHERE id = $1)
        SELECT t.*, l.tenant_id IS NOT NULL AS has_limits, l.max_db_size_mb, l.max_users, l.max_attachments_gb, l.notes
          FROM t LEFT JOIN control_plane.tenant_limits l ON l.tenant_id = t.id
        """;

    /// <summary>
    /// One keyset page of every live row with its limits, in id order (the primary key's index; $1 = the last id of the
    /// previous page, or the nil uuid for the first): the operator's bulk resync read (issue 18, ADR-CP-011).
    /// </summary>
    public const string LiveWithLimitsPage = $"""
        WITH t AS (SELECT {TenantColumns} FROM control_plane.tenants WHERE id > $1 AND deleted_at IS NULL ORDER BY id LIMIT $2)
        SELECT t.*, l.tenant_id IS NOT NULL AS has_limits, l.max_db_size_mb, l.max_users, l.max_attachments_gb, l.notes
          FROM t LEFT JOIN control_plane.tenant_limits l ON l.tenant_id = t.id
         ORDER BY t.id
        """;

    /// <summary>The live row owned by a Kubernetes object (matches the partial unique index tenants_owner_live_key).</summary>
    public const string FindLiveByOwner = $"""
        SELECT {TenantColumns} FROM control_plane.tenants
         WHERE owner_namespace = $1 AND owner_name = $2 AND deleted_at IS NULL AND owner_name IS NOT NULL
        """;

    public const string UpdateOwner = $"""
        UPDATE control_plane.tenants SET owner_namespace = $2, owner_name = $3, owner_uid = $4 WHERE id = $1
        RETURNING {TenantColumns}
        """;

    /// <summary>
    /// Live tenants per server (V15's partial index), leaving out the owners of $1/$2 (namespaces, names): placements
    /// the operator holds in memory until their rows exist, counted once by the caller instead. Rows of the previous
    /// release (no db_server yet) are reported with their host and port for the caller to attribute.
    /// </summary>
    public const string CountLiveByServer = """
        SELECT t.db_server, t.db_host, t.db_port, count(*)::int4
          FROM control_plane.tenants t
         WHERE t.deleted_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM unnest($1::text[], $2::text[]) AS p(ns, name)
                            WHERE p.ns = t.owner_namespace AND p.name = t.owner_name)
         GROUP BY t.db_server, t.db_host, t.db_port
        """;

    public const string UpdateServer =
        $"UPDATE control_plane.tenants SET db_server = $2 WHERE id = $1 RETURNING {TenantColumns}";

    public const string CountEventsOfType =
        "SELECT count(*) FROM control_plane.tenant_events WHERE tenant_id = $1 AND event_type = $2";

    /// <summary>Row lock for a write: no-key so concurrent event inserts (FK key-share locks) are not blocked.</summary>
    public const string LockById = $"SELECT {TenantColumns} FROM control_plane.tenants WHERE id = $1 FOR NO KEY UPDATE";

    /// <summary>Live tenants that clash with a registration by slug or by database name, slug clashes first.</summary>
    public const string FindLiveClashes = $"""
        SELECT {TenantColumns} FROM control_plane.tenants
         WHERE deleted_at IS NULL AND (lower(slug) = lower($1) OR lower(db_name) = lower($2))
         ORDER BY (lower(slug) = lower($1)) DESC
        """;

    public const string Insert = $"""
        INSERT INTO control_plane.tenants
            (slug, display_name, db_name, db_host, db_port, db_user, db_secret_ref, app_version, billing_plan, contact_email,
             owner_namespace, owner_name, owner_uid, db_server)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
        RETURNING {TenantColumns}
        """;

    /// <summary>$2 status, $3 suspended_reason (kept only while suspended); deleted_at is stamped on entering 'deleted'.</summary>
    public const string UpdateStatus = $"""
        UPDATE control_plane.tenants
           SET status = $2, suspended_reason = $3,
               deleted_at = CASE WHEN $2 = 'deleted' THEN coalesce(deleted_at, now()) ELSE deleted_at END
         WHERE id = $1
        RETURNING {TenantColumns}
        """;

    public const string UpdateSuspendedReason =
        $"UPDATE control_plane.tenants SET suspended_reason = $2 WHERE id = $1 RETURNING {TenantColumns}";

    public const string UpdateSchemaVersion =
        $"UPDATE control_plane.tenants SET schema_version = $2 WHERE id = $1 RETURNING {TenantColumns}";

    public const string UpdateProfile = $"""
        UPDATE control_plane.tenants
           SET display_name = $2, app_version = $3, billing_plan = $4, contact_email = $5, maintenance_flag = $6
         WHERE id = $1
        RETURNING {TenantColumns}
        """;

    public const string ListByStatusFirst = $"""
        SELECT {TenantColumns} FROM control_plane.tenants
         WHERE status = $1
         ORDER BY updated_at DESC, id DESC
         LIMIT $2
        """;

    public const string ListByStatusAfter = $"""
        SELECT {TenantColumns} FROM control_plane.tenants
         WHERE status = $1 AND (updated_at, id) < ($3, $4)
         ORDER BY updated_at DESC, id DESC
         LIMIT $2
        """;

    public const string InsertEvent =
        "INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload) VALUES ($1, $2, $3, $4)";

    public const string EventColumns = "id, tenant_id, event_type, actor, payload::text, created_at";

    /// <summary>
    /// <see cref="InsertEvent"/> returning the row: a write that reports the event it recorded reads it back from here,
    /// not by a newest-first lookup over every partition (V17) in the same transaction.
    /// </summary>
    public const string InsertEventReturning =
        $"{InsertEvent} RETURNING {EventColumns}";

    public const string EventsFirst = $"""
        SELECT {EventColumns} FROM control_plane.tenant_events
         WHERE tenant_id = $1
         ORDER BY created_at DESC, id DESC
         LIMIT $2
        """;

    /// <summary>
    /// The lone <c>created_at &lt;= $3</c> says nothing the row comparison does not, but the planner prunes partitions
    /// (V17) only on plain comparisons of the partition key: later pages skip the newer months.
    /// </summary>
    public const string EventsAfter = $"""
        SELECT {EventColumns} FROM control_plane.tenant_events
         WHERE tenant_id = $1 AND created_at <= $3 AND (created_at, id) < ($3, $4)
         ORDER BY created_at DESC, id DESC
         LIMIT $2
        """;

    /// <summary>
    /// A tenant's events dated in [$2, $3), newest first. Both bounds prune monthly partitions (V17) when the executor
    /// starts: the older months and the months created ahead, which a lookup of recent activity would otherwise open
    /// empty on every call.
    /// </summary>
    public const string RecentEvents = $"""
        SELECT {EventColumns} FROM control_plane.tenant_events
         WHERE tenant_id = $1 AND created_at >= $2 AND created_at < $3
         ORDER BY created_at DESC, id DESC
         LIMIT $4
        """;

    public const string GetLimits =
        "SELECT max_db_size_mb, max_users, max_attachments_gb, notes FROM control_plane.tenant_limits WHERE tenant_id = $1";

    public const string UpsertLimits = """
        INSERT INTO control_plane.tenant_limits (tenant_id, max_db_size_mb, max_users, max_attachments_gb, notes)
        VALUES ($1, $2, $3, $4, $5)
        ON CONFLICT (tenant_id) DO UPDATE
           SET max_db_size_mb = EXCLUDED.max_db_size_mb, max_users = EXCLUDED.max_users,
               max_attachments_gb = EXCLUDED.max_attachments_gb, notes = EXCLUDED.notes
        """;

    /// <summary>The rotation recorded for one request ($2): at most one, by the trigger tenant_events_credentials_rotated_once (V17).</summary>
    /// <remarks>
    /// The event type is spelled here, not passed as a parameter, as in the predicate of V14's partial index: a generic
    /// plan can use that index only for the literal (<see cref="CatalogEventType.CredentialsRotated"/> writes the same text).
    /// </remarks>
    public const string FindCredentialRotation = """
        SELECT payload::text FROM control_plane.tenant_events
         WHERE tenant_id = $1 AND event_type = 'credentials_rotated' AND payload ->> 'rotation' = $2
        """;

    public const string LatestCredentialRotation = """
        SELECT payload::text FROM control_plane.tenant_events
         WHERE tenant_id = $1 AND event_type = 'credentials_rotated'
         ORDER BY created_at DESC, id DESC
         LIMIT 1
        """;

    /// <summary>A change of the tenant without a column of its own: the row's update fires the change notification (V6).</summary>
    public const string TouchTenant = "UPDATE control_plane.tenants SET updated_at = now() WHERE id = $1";
}
