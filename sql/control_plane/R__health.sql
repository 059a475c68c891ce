-- Operational health of the catalog (specification §9). Repeatable: Evolve re-applies this file whenever it
-- changes, so every object is dropped and recreated. Each view lists offending tenants; an empty view passes.
-- The checks look for states the constraints are meant to prevent, because catalogs get restored from
-- backups, edited by hand, or predate a constraint: health is measured, not assumed.
-- Since V17 tenant_events is partitioned by month: V17 drops the views that read it, and this file (changed with V17)
-- recreates them. Retention keeps the rows these checks read (V17, retire_event_partitions), so they mean the same.

DROP FUNCTION IF EXISTS control_plane.health_report(interval);
DROP FUNCTION IF EXISTS control_plane.health_schema_versions();
DROP FUNCTION IF EXISTS control_plane.health_stuck_provisioning(interval);
DROP VIEW IF EXISTS control_plane.health_duplicate_slugs;
DROP VIEW IF EXISTS control_plane.health_duplicate_db_names;
DROP VIEW IF EXISTS control_plane.health_tenants_without_events;
DROP VIEW IF EXISTS control_plane.health_schema_version_drift;
DROP VIEW IF EXISTS control_plane.health_soft_delete_incoherent;

-- Live rows whose slug equals another live row's slug ignoring case (must be 0).
CREATE VIEW control_plane.health_duplicate_slugs AS
SELECT t.id AS tenant_id, t.slug,
       format('slug %s is shared by %s live tenants', lower(t.slug), count(*) OVER (PARTITION BY lower(t.slug))) AS detail
  FROM control_plane.tenants t
 WHERE t.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM control_plane.tenants o
                WHERE o.deleted_at IS NULL AND lower(o.slug) = lower(t.slug) AND o.id <> t.id);

-- Live rows whose database name equals another live row's ignoring case (must be 0).
CREATE VIEW control_plane.health_duplicate_db_names AS
SELECT t.id AS tenant_id, t.slug,
       format('db_name %s is shared by %s live tenants', lower(t.db_name), count(*) OVER (PARTITION BY lower(t.db_name))) AS detail
  FROM control_plane.tenants t
 WHERE t.deleted_at IS NULL
   AND EXISTS (SELECT 1 FROM control_plane.tenants o
                WHERE o.deleted_at IS NULL AND lower(o.db_name) = lower(t.db_name) AND o.id <> t.id);

-- Every catalog write records an event, so a tenant without any was written around the catalog API.
CREATE VIEW control_plane.health_tenants_without_events AS
SELECT t.id AS tenant_id, t.slug, format('status %s, created %s, no events', t.status, t.created_at) AS detail
  FROM control_plane.tenants t
 WHERE NOT EXISTS (SELECT 1 FROM control_plane.tenant_events e WHERE e.tenant_id = t.id);

-- Live tenants whose schema_version differs from the "to" of their newest migrated event
-- (a tenant never migrated must have no schema_version).
CREATE VIEW control_plane.health_schema_version_drift AS
SELECT t.id AS tenant_id, t.slug,
       format('schema_version %s but last migrated event says %s',
              coalesce(t.schema_version, '(none)'), coalesce(last.version, '(none)')) AS detail
  FROM control_plane.tenants t
  LEFT JOIN LATERAL (
        SELECT e.payload ->> 'to' AS version
          FROM control_plane.tenant_events e
         WHERE e.tenant_id = t.id AND e.event_type = 'migrated'
         ORDER BY e.created_at DESC, e.id DESC
         LIMIT 1) last ON true
 WHERE t.deleted_at IS NULL
   AND t.schema_version IS DISTINCT FROM last.version;

-- deleted_at set ⇒ status deleting or deleted; status deleted ⇒ deleted_at set.
CREATE VIEW control_plane.health_soft_delete_incoherent AS
SELECT t.id AS tenant_id, t.slug,
       format('status %s with deleted_at %s', t.status, coalesce(t.deleted_at::text, 'NULL')) AS detail
  FROM control_plane.tenants t
 WHERE (t.deleted_at IS NOT NULL AND t.status NOT IN ('deleting', 'deleted'))
    OR (t.status = 'deleted' AND t.deleted_at IS NULL);

-- Live tenants still provisioning after the operational window (the health command's --stuck-after).
CREATE FUNCTION control_plane.health_stuck_provisioning(stuck_after interval)
RETURNS TABLE (tenant_id uuid, slug text, detail text)
LANGUAGE sql STABLE AS $$
    SELECT t.id, t.slug,
           format('provisioning since %s (%s, window %s)', t.created_at, date_trunc('second', now() - t.created_at), stuck_after)
      FROM control_plane.tenants t
     WHERE t.status = 'provisioning'
       AND t.deleted_at IS NULL
       AND t.created_at < now() - stuck_after;
$$;

-- Every check's offenders in one result, for the operator's `health` command. A check that passes has no rows.
CREATE FUNCTION control_plane.health_report(stuck_after interval)
RETURNS TABLE (check_name text, tenant_id uuid, slug text, detail text)
LANGUAGE sql STABLE AS $$
    SELECT 'duplicate_slugs', v.tenant_id, v.slug, v.detail FROM control_plane.health_duplicate_slugs v
    UNION ALL
    SELECT 'duplicate_db_names', v.tenant_id, v.slug, v.detail FROM control_plane.health_duplicate_db_names v
    UNION ALL
    SELECT 'tenants_without_events', v.tenant_id, v.slug, v.detail FROM control_plane.health_tenants_without_events v
    UNION ALL
    SELECT 'stuck_provisioning', s.tenant_id, s.slug, s.detail FROM control_plane.health_stuck_provisioning(stuck_after) s
    UNION ALL
    SELECT 'schema_version_drift', v.tenant_id, v.slug, v.detail FROM control_plane.health_schema_version_drift v
    UNION ALL
    SELECT 'soft_delete_incoherent', v.tenant_id, v.slug, v.detail FROM control_plane.health_soft_delete_incoherent v
    ORDER BY 1, 3, 2;
$$;

-- The fleet's version distribution (the board of schema rollouts): live tenants per schema_version ('(none)' before
-- the first migration), with how many of them are misaligned (schema_version differs from their last migrated event).
CREATE FUNCTION control_plane.health_schema_versions()
RETURNS TABLE (schema_version text, tenants bigint, misaligned bigint)
LANGUAGE sql STABLE AS $$
    SELECT coalesce(t.schema_version, '(none)'),
           count(*),
           count(*) FILTER (WHERE EXISTS (SELECT 1 FROM control_plane.health_schema_version_drift d WHERE d.tenant_id = t.id))
      FROM control_plane.tenants t
     WHERE t.deleted_at IS NULL
     GROUP BY 1
     ORDER BY 1;
$$;
