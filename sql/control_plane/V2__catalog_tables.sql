-- The catalog of tenants (specification §3). Names are the specification's; additions are explained inline
-- and in docs/adr/ADR-CP-001.md.

-- Shared by tenants and tenant_limits: updated_at is the database's clock, never the caller's, and only
-- moves when the row really changes (a no-op UPDATE keeps it, so idempotent writers cause no churn).
CREATE FUNCTION control_plane.set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TABLE control_plane.event_types (
    name        text PRIMARY KEY CHECK (name ~ '^[a-z][a-z_]*$'),
    description text NOT NULL
);

CREATE TABLE control_plane.tenants (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- Case is kept as written; uniqueness and lookups are case-insensitive (partial indexes below).
    slug             text NOT NULL CONSTRAINT tenants_slug_shape
                         CHECK (length(slug) <= 63 AND slug ~ '^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?$'),
    display_name     text NOT NULL CONSTRAINT tenants_display_name_present
                         CHECK (btrim(display_name) <> '' AND length(display_name) <= 200),
    -- A PostgreSQL identifier (63 bytes); the operator additionally requires lower case to quote it.
    db_name          text NOT NULL CONSTRAINT tenants_db_name_shape
                         CHECK (octet_length(db_name) <= 63 AND db_name ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    db_host          text NOT NULL CONSTRAINT tenants_db_host_shape
                         CHECK (db_host ~ '^[A-Za-z0-9.:_-]+$' AND length(db_host) <= 253),
    db_port          integer NOT NULL DEFAULT 5432 CONSTRAINT tenants_db_port_range CHECK (db_port BETWEEN 1 AND 65535),
    db_user          text NOT NULL CONSTRAINT tenants_db_user_shape
                         CHECK (octet_length(db_user) <= 63 AND db_user ~ '^[A-Za-z_][A-Za-z0-9_]*$'),
    -- Only a reference into a secret manager; the guard CHECK is added by V4 from the C# grammar constants.
    db_secret_ref    text NOT NULL,
    schema_version   text,
    app_version      text,
    -- 'deleted' is the terminal state of a soft-deleted row (ADR-CP-001, "the deleted decision").
    status           text NOT NULL DEFAULT 'provisioning' CONSTRAINT tenants_status_known
                         CHECK (status IN ('provisioning', 'active', 'suspended', 'deleting', 'deleted')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    deleted_at       timestamptz,
    billing_plan     text,
    contact_email    text CONSTRAINT tenants_contact_email_shape CHECK (contact_email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    suspended_reason text,
    maintenance_flag boolean NOT NULL DEFAULT false,
    -- Soft-delete coherence (§9) held by the table itself: a row with deleted_at is on its way out,
    -- and the terminal state always carries the moment it was reached.
    CONSTRAINT tenants_soft_delete_coherent CHECK (deleted_at IS NULL OR status IN ('deleting', 'deleted')),
    CONSTRAINT tenants_deleted_has_timestamp CHECK (status <> 'deleted' OR deleted_at IS NOT NULL)
);

-- Case-insensitive uniqueness among live rows: a slug or database name is free again once soft-deleted.
CREATE UNIQUE INDEX tenants_slug_live_key ON control_plane.tenants (lower(slug)) WHERE deleted_at IS NULL;
CREATE UNIQUE INDEX tenants_db_name_live_key ON control_plane.tenants (lower(db_name)) WHERE deleted_at IS NULL;
CREATE INDEX tenants_status_idx ON control_plane.tenants (status);
-- id trails the specified (status, updated_at DESC) so keyset pages (ORDER BY updated_at DESC, id DESC) need no sort.
CREATE INDEX tenants_status_updated_at_idx ON control_plane.tenants (status, updated_at DESC, id DESC);

CREATE TRIGGER tenants_set_updated_at
    BEFORE UPDATE ON control_plane.tenants
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION control_plane.set_updated_at();

CREATE TABLE control_plane.tenant_events (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- DEFERRABLE INITIALLY DEFERRED: a transaction may write an event before the row it describes;
    -- the reference is checked at commit. NO ACTION (not RESTRICT, which cannot be deferred): audit outlives nothing.
    tenant_id  uuid NOT NULL REFERENCES control_plane.tenants (id) DEFERRABLE INITIALLY DEFERRED,
    event_type text NOT NULL REFERENCES control_plane.event_types (name),
    actor      text NOT NULL CONSTRAINT tenant_events_actor_present CHECK (btrim(actor) <> '' AND length(actor) <= 200),
    payload    jsonb,
    -- clock_timestamp(), not now(): the events of one transaction keep the order in which they were written.
    created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

-- The specified (tenant_id, created_at DESC), with id as the tie-breaker of "newest first" so that reading a
-- tenant's recent events is an index scan that stops after LIMIT rows, however many events the tenant has.
CREATE INDEX tenant_events_tenant_created_idx ON control_plane.tenant_events (tenant_id, created_at DESC, id DESC);

CREATE TABLE control_plane.tenant_limits (
    tenant_id          uuid PRIMARY KEY REFERENCES control_plane.tenants (id) ON DELETE CASCADE,
    max_db_size_mb     integer CONSTRAINT tenant_limits_max_db_size_positive CHECK (max_db_size_mb > 0),
    max_users          integer CONSTRAINT tenant_limits_max_users_positive CHECK (max_users > 0),
    max_attachments_gb integer CONSTRAINT tenant_limits_max_attachments_non_negative CHECK (max_attachments_gb >= 0),
    notes              text,
    updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER tenant_limits_set_updated_at
    BEFORE UPDATE ON control_plane.tenant_limits
    FOR EACH ROW WHEN (OLD IS DISTINCT FROM NEW)
    EXECUTE FUNCTION control_plane.set_updated_at();
