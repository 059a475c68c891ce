-- Audit payload searches (e.g. every migrated event to a version): jsonb_path_ops is smaller and faster for @>.
CREATE INDEX tenant_events_payload_gin ON control_plane.tenant_events USING gin (payload jsonb_path_ops);

-- Trigram search on display_name (§3 optional, §13 scale) only where the server ships pg_trgm:
-- its absence must not block a catalog from migrating.
DO $$
DECLARE
    trgm_schema text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        RAISE NOTICE 'pg_trgm is not available; skipping the trigram index on tenants.display_name';
        RETURN;
    END IF;

    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    -- The extension may already live in another schema; name its operator class where it is.
    SELECT n.nspname INTO trgm_schema
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_trgm';
    EXECUTE format(
        'CREATE INDEX tenants_display_name_trgm_idx ON control_plane.tenants USING gin (display_name %I.gin_trgm_ops)',
        trgm_schema);
END;
$$;
