-- Placement across a fleet of tenant database servers (issue 17, ADR-CP-010). db_server is the name of the server the
-- operator placed the tenant on (a TenantDatabaseServer resource or a bootstrap server of the operator's
-- configuration), fixed from registration on: the Tenant's status caches it, this column is where it is rebuilt from.
-- Rows registered before this release keep NULL here: a server's name lives in the operator's configuration, not in
-- the catalog, so SQL cannot derive it. The operator backfills the column from the Tenant (whose spec named the server,
-- since the CRD defaulted it) on the tenant's next reconcile, once host and port prove it is the same server; until
-- then placement counts such a row on the server with its db_host and db_port.
ALTER TABLE control_plane.tenants
    ADD COLUMN db_server text CONSTRAINT tenants_db_server_shape
        CHECK (length(db_server) <= 63 AND db_server ~ '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$');

-- Placement counts live tenants per server on every new tenant; the partial index keeps that an index-only count.
CREATE INDEX tenants_db_server_live_idx ON control_plane.tenants (db_server, db_host, db_port) WHERE deleted_at IS NULL;

INSERT INTO control_plane.event_types (name, description) VALUES
    ('server_recorded', 'The tenant database server the tenant lives on was recorded for a row registered before placement; payload {"server"}.')
ON CONFLICT (name) DO NOTHING;
