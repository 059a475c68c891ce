-- tenant_events partitioned by month on created_at (issue 18, item 1; docs/catalog.md "Event partitions").
--
-- The conversion copies the populated table into a new partitioned one inside this migration's transaction, proves
-- that every row arrived once (count and an order-independent checksum of every column) and only then drops the old
-- table; any difference raises and rolls the whole migration back. Locking: the first statement takes ACCESS EXCLUSIVE
-- on tenant_events, so event reads and writes (and the catalog writes that record events) wait until the migration
-- commits; tenants stay readable. Its duration grows with the number of events (docs/catalog.md gives the figures).
--
-- A partitioned table's unique constraints must contain the partition key, hence:
--   * the primary key becomes (id, created_at); ids are still random uuids, nothing references an event by id;
--   * V14's unique index tenant_events_credentials_rotated_once (one credentials_rotated event per rotation request)
--     cannot span partitions, so a trigger of the same name keeps the rule across all partitions (see below).
-- The deferrable foreign key to tenants is kept (PostgreSQL 17 supports foreign keys from partitioned tables).

-- Serialises every partition change (this migration, `migrate`, the operator's leader): they may run at once.
CREATE FUNCTION control_plane.event_partitions_lock() RETURNS void
LANGUAGE sql AS $$ SELECT pg_advisory_xact_lock(hashtext('control_plane.tenant_events partitions')) $$;

-- Month arithmetic in UTC whatever the session's TimeZone: timestamptz + '1 month' follows the session's zone (and its
-- DST), which would make partition bounds drift by an hour.
CREATE FUNCTION control_plane.event_month(at timestamptz, months integer DEFAULT 0) RETURNS timestamptz
LANGUAGE sql IMMUTABLE AS $$
    SELECT (date_trunc('month', at AT TIME ZONE 'UTC') + make_interval(months => months)) AT TIME ZONE 'UTC'
$$;

-- The operator's register of the partitions it made: retention detaches and drops only a table registered here (the
-- mark it wrote itself), never a table whose name merely looks like a partition.
CREATE TABLE control_plane.event_partitions (
    name        text PRIMARY KEY CONSTRAINT event_partitions_name_shape
                    CHECK (name ~ '^tenant_events_(archive|[0-9]{4}_[0-9]{2})$'),
    -- NULL: MINVALUE (only the archive, which holds what retention keeps of retired months).
    range_from  timestamptz,
    range_to    timestamptz NOT NULL,
    state       text NOT NULL DEFAULT 'attached' CONSTRAINT event_partitions_state_known CHECK (state IN ('attached', 'detached')),
    detached_at timestamptz,
    CONSTRAINT event_partitions_detached_has_time CHECK ((state = 'detached') = (detached_at IS NOT NULL)),
    CONSTRAINT event_partitions_range CHECK (range_from IS NULL OR range_from < range_to)
);

-- Monthly partitions from the end of the newest one (or the month of `at` when there is none) up to and including the
-- month `months_ahead` after the month of `at`. Ranges stay contiguous: ordered scans and retention rely on it. Returns
-- the partitions it created (none when they all exist). CREATE TABLE … PARTITION OF takes ACCESS EXCLUSIVE on
-- tenant_events for the (millisecond) creation; callers set a lock_timeout so a long reader cannot queue everyone behind.
CREATE FUNCTION control_plane.create_event_partitions(at timestamptz, months_ahead integer)
RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    month     timestamptz;
    target    timestamptz := control_plane.event_month(at, months_ahead + 1);
    partition text;
BEGIN
    IF at IS NULL OR months_ahead IS NULL OR months_ahead NOT BETWEEN 1 AND 24 THEN
        RAISE EXCEPTION 'months_ahead must be between 1 and 24 (got %)', months_ahead USING ERRCODE = 'invalid_parameter_value';
    END IF;

    PERFORM control_plane.event_partitions_lock();
    SELECT max(p.range_to) INTO month FROM control_plane.event_partitions p WHERE p.state = 'attached';
    month := coalesce(month, control_plane.event_month(at));
    WHILE month < target LOOP
        partition := 'tenant_events_' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
        EXECUTE format('CREATE TABLE control_plane.%I PARTITION OF control_plane.tenant_events FOR VALUES FROM (%L) TO (%L)',
                       partition, month, control_plane.event_month(month, 1));
        INSERT INTO control_plane.event_partitions (name, range_from, range_to)
        VALUES (partition, month, control_plane.event_month(month, 1));
        RETURN NEXT partition;
        month := control_plane.event_month(month, 1);
    END LOOP;
END;
$$;

-- Retention. A monthly partition is retired when all of it is older than `retain_months` months before `at` (so never
-- the current or the next month). Retiring detaches it and keeps, in the archive partition, the few rows the catalog's
-- rules and the §9 health checks read as state rather than history, so their meaning does not change:
--   * every credentials_rotated, adopted and cleanup_skipped event ("once per request / once per tenant" rules);
--   * each tenant's newest migrated event, unless a newer one exists (health_schema_version_drift);
--   * each tenant's newest event, unless it has a newer one (health_tenants_without_events).
-- The archive is rebuilt with its bound moved to the end of the retired month, under ACCESS EXCLUSIVE on tenant_events
-- (event reads and writes wait; the archive is small: a few rows per tenant). A detached partition keeps all its rows
-- for `grace` (export it, or attach it back) and is dropped by a later run; only registered tables are ever dropped.
-- Returns one row per action: ('detached', name) or ('dropped', name).
CREATE FUNCTION control_plane.retire_event_partitions(at timestamptz, retain_months integer, grace interval)
RETURNS TABLE (action text, partition text)
LANGUAGE plpgsql AS $$
DECLARE
    cutoff  timestamptz;
    retired record;
    gone    record;
BEGIN
    IF at IS NULL OR retain_months IS NULL OR retain_months < 1 THEN
        RAISE EXCEPTION 'retain_months must be at least 1 (got %)', retain_months USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF grace IS NULL OR grace < interval '0' THEN
        RAISE EXCEPTION 'grace must not be negative (got %)', grace USING ERRCODE = 'invalid_parameter_value';
    END IF;

    PERFORM control_plane.event_partitions_lock();
    -- The archive's deferred foreign-key checks must run before it can be detached again (a table with pending
    -- trigger events cannot be altered): check each row as it is copied.
    SET CONSTRAINTS ALL IMMEDIATE;
    cutoff := (at AT TIME ZONE 'UTC' - make_interval(months => retain_months)) AT TIME ZONE 'UTC';

    FOR retired IN
        SELECT p.name, p.range_to FROM control_plane.event_partitions p
         WHERE p.state = 'attached' AND p.range_from IS NOT NULL AND p.range_to <= cutoff
           AND p.range_to <= control_plane.event_month(at)
         ORDER BY p.range_from
    LOOP
        LOCK TABLE control_plane.tenant_events IN ACCESS EXCLUSIVE MODE;
        EXECUTE format('ALTER TABLE control_plane.tenant_events DETACH PARTITION control_plane.%I', retired.name);
        ALTER TABLE control_plane.tenant_events DETACH PARTITION control_plane.tenant_events_archive;
        ALTER TABLE control_plane.tenant_events_archive RENAME TO tenant_events_archive_previous;
        EXECUTE format('CREATE TABLE control_plane.tenant_events_archive PARTITION OF control_plane.tenant_events FOR VALUES FROM (MINVALUE) TO (%L)',
                       retired.range_to);
        INSERT INTO control_plane.tenant_events_archive SELECT * FROM control_plane.tenant_events_archive_previous;
        EXECUTE format($kept$
            INSERT INTO control_plane.tenant_events_archive
            SELECT e.* FROM control_plane.%1$I e
             WHERE e.event_type IN ('credentials_rotated', 'adopted', 'cleanup_skipped')
            UNION
            SELECT m.* FROM (SELECT DISTINCT ON (e.tenant_id) e.* FROM control_plane.%1$I e
                              WHERE e.event_type = 'migrated'
                              ORDER BY e.tenant_id, e.created_at DESC, e.id DESC) m
             WHERE NOT EXISTS (SELECT 1 FROM control_plane.tenant_events x
                                WHERE x.tenant_id = m.tenant_id AND x.event_type = 'migrated'
                                  AND (x.created_at, x.id) > (m.created_at, m.id))
            UNION
            SELECT n.* FROM (SELECT DISTINCT ON (e.tenant_id) e.* FROM control_plane.%1$I e
                              ORDER BY e.tenant_id, e.created_at DESC, e.id DESC) n
             WHERE NOT EXISTS (SELECT 1 FROM control_plane.tenant_events x
                                WHERE x.tenant_id = n.tenant_id AND (x.created_at, x.id) > (n.created_at, n.id))
            $kept$, retired.name);
        DROP TABLE control_plane.tenant_events_archive_previous;

        UPDATE control_plane.event_partitions SET range_to = retired.range_to WHERE name = 'tenant_events_archive';
        UPDATE control_plane.event_partitions SET state = 'detached', detached_at = at WHERE name = retired.name;
        action := 'detached';
        partition := retired.name;
        RETURN NEXT;
    END LOOP;

    FOR gone IN
        SELECT p.name, c.oid AS relation FROM control_plane.event_partitions p
          LEFT JOIN pg_class c ON c.relname = p.name AND c.relnamespace = 'control_plane'::regnamespace AND c.relkind = 'r'
         WHERE p.state = 'detached' AND p.detached_at + grace <= at
         ORDER BY p.range_from
    LOOP
        -- Still detached (nobody attached it back by hand): only then is it the table retention detached.
        IF gone.relation IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = gone.relation) THEN
            EXECUTE format('DROP TABLE control_plane.%I', gone.name);
            action := 'dropped';
            partition := gone.name;
            RETURN NEXT;
        END IF;
        DELETE FROM control_plane.event_partitions WHERE name = gone.name;
    END LOOP;
END;
$$;

-- V14's rule across partitions: one credentials_rotated event per (tenant, rotation request). The advisory lock per
-- request serialises concurrent writers; the check runs after it is granted, with a fresh snapshot (READ COMMITTED,
-- the catalog's level), so the second writer sees the first one's committed row and is refused with the SQLSTATE and
-- name the unique index used to give.
CREATE FUNCTION control_plane.tenant_events_credentials_rotated_once() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('control_plane.credentials_rotated'),
                                  hashtext(NEW.tenant_id::text || '/' || coalesce(NEW.payload ->> 'rotation', '')));
    IF EXISTS (SELECT 1 FROM control_plane.tenant_events e
                WHERE e.tenant_id = NEW.tenant_id AND e.event_type = 'credentials_rotated'
                  AND e.payload ->> 'rotation' = NEW.payload ->> 'rotation'
                  AND NOT (e.id = NEW.id AND e.created_at = NEW.created_at)) THEN
        RAISE EXCEPTION 'duplicate key value violates unique constraint "tenant_events_credentials_rotated_once"'
            USING ERRCODE = 'unique_violation', CONSTRAINT = 'tenant_events_credentials_rotated_once',
                  DETAIL = format('Rotation %s of tenant %s is already recorded.', NEW.payload ->> 'rotation', NEW.tenant_id);
    END IF;
    RETURN NEW;
END;
$$;

-- The conversion. Health views read tenant_events and would keep the old table alive: R__health.sql recreates them
-- after this migration (its checksum changes in this release, so Evolve re-applies it).
LOCK TABLE control_plane.tenant_events IN ACCESS EXCLUSIVE MODE;
DROP VIEW IF EXISTS control_plane.health_tenants_without_events;
DROP VIEW IF EXISTS control_plane.health_schema_version_drift;
DROP VIEW IF EXISTS control_plane.health_duplicate_slugs;
DROP VIEW IF EXISTS control_plane.health_duplicate_db_names;
DROP VIEW IF EXISTS control_plane.health_soft_delete_incoherent;

ALTER TABLE control_plane.tenant_events RENAME TO tenant_events_unpartitioned;
ALTER INDEX control_plane.tenant_events_pkey RENAME TO tenant_events_unpartitioned_pkey;
DROP INDEX control_plane.tenant_events_tenant_created_idx;
DROP INDEX control_plane.tenant_events_payload_gin;
DROP INDEX control_plane.tenant_events_credentials_rotated_once;

-- Keys, indexes and the foreign keys come after the copy: built once per partition instead of row by row, and the
-- foreign keys validated by one join per partition instead of one deferred check per row.
CREATE TABLE control_plane.tenant_events (
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    tenant_id  uuid NOT NULL,
    event_type text NOT NULL,
    actor      text NOT NULL CONSTRAINT tenant_events_actor_present CHECK (btrim(actor) <> '' AND length(actor) <= 200),
    payload    jsonb,
    -- clock_timestamp(), not now(): the events of one transaction keep the order in which they were written.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
) PARTITION BY RANGE (created_at);

DO $$
DECLARE
    first_month timestamptz;
BEGIN
    SELECT control_plane.event_month(coalesce(min(created_at), now())) INTO first_month
      FROM control_plane.tenant_events_unpartitioned;
    EXECUTE format('CREATE TABLE control_plane.tenant_events_archive PARTITION OF control_plane.tenant_events FOR VALUES FROM (MINVALUE) TO (%L)',
                   first_month);
    INSERT INTO control_plane.event_partitions (name, range_from, range_to) VALUES ('tenant_events_archive', NULL, first_month);
    -- Every month from the oldest event's to three months ahead (the operator keeps that many ahead afterwards).
    PERFORM control_plane.create_event_partitions(now(), 3);
END;
$$;

INSERT INTO control_plane.tenant_events (id, tenant_id, event_type, actor, payload, created_at)
SELECT id, tenant_id, event_type, actor, payload, created_at FROM control_plane.tenant_events_unpartitioned;

-- Not a row lost, not a row twice: the same count and the same sum of per-row hashes over every column.
DO $$
DECLARE
    before_count bigint;
    before_sum   numeric;
    after_count  bigint;
    after_sum    numeric;
BEGIN
    SELECT count(*), coalesce(sum(hashtextextended(e::text, 17)::numeric), 0) INTO before_count, before_sum
      FROM (SELECT id, tenant_id, event_type, actor, payload, created_at FROM control_plane.tenant_events_unpartitioned) e;
    SELECT count(*), coalesce(sum(hashtextextended(e::text, 17)::numeric), 0) INTO after_count, after_sum
      FROM (SELECT id, tenant_id, event_type, actor, payload, created_at FROM control_plane.tenant_events) e;
    IF before_count <> after_count OR before_sum <> after_sum THEN
        RAISE EXCEPTION 'tenant_events conversion mismatch: % rows (checksum %) before, % rows (checksum %) after',
            before_count, before_sum, after_count, after_sum;
    END IF;
    RAISE NOTICE 'tenant_events converted: % rows, checksum %', after_count, after_sum;
END;
$$;

DROP TABLE control_plane.tenant_events_unpartitioned;

ALTER TABLE control_plane.tenant_events ADD CONSTRAINT tenant_events_pkey PRIMARY KEY (id, created_at);
-- DEFERRABLE INITIALLY DEFERRED: a transaction may write an event before the row it describes; the reference is
-- checked at commit. NO ACTION (not RESTRICT, which cannot be deferred): audit outlives nothing.
ALTER TABLE control_plane.tenant_events ADD CONSTRAINT tenant_events_tenant_id_fkey
    FOREIGN KEY (tenant_id) REFERENCES control_plane.tenants (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE control_plane.tenant_events ADD CONSTRAINT tenant_events_event_type_fkey
    FOREIGN KEY (event_type) REFERENCES control_plane.event_types (name);
-- The same three indexes as before, now one per partition: the recent events of a tenant are an index scan of the
-- newest partitions, and a created_at bound prunes the others.
CREATE INDEX tenant_events_tenant_created_idx ON control_plane.tenant_events (tenant_id, created_at DESC, id DESC);
CREATE INDEX tenant_events_payload_gin ON control_plane.tenant_events USING gin (payload jsonb_path_ops);
CREATE INDEX tenant_events_credentials_rotated_idx ON control_plane.tenant_events (tenant_id, (payload ->> 'rotation'))
    WHERE event_type = 'credentials_rotated';
CREATE TRIGGER tenant_events_credentials_rotated_once
    BEFORE INSERT OR UPDATE ON control_plane.tenant_events
    FOR EACH ROW WHEN (NEW.event_type = 'credentials_rotated')
    EXECUTE FUNCTION control_plane.tenant_events_credentials_rotated_once();
