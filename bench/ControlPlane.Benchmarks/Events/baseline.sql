-- The baseline: an unpartitioned copy of the same rows with the indexes and foreign keys tenant_events had before V17
-- (primary key on id, the recent-events index, the payload GIN index, the deferrable foreign key to tenants).
CREATE TABLE control_plane.tenant_events_flat (LIKE control_plane.tenant_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
INSERT INTO control_plane.tenant_events_flat SELECT * FROM control_plane.tenant_events;
ALTER TABLE control_plane.tenant_events_flat ADD PRIMARY KEY (id);
ALTER TABLE control_plane.tenant_events_flat ADD FOREIGN KEY (tenant_id) REFERENCES control_plane.tenants (id) DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE control_plane.tenant_events_flat ADD FOREIGN KEY (event_type) REFERENCES control_plane.event_types (name);
CREATE INDEX ON control_plane.tenant_events_flat (tenant_id, created_at DESC, id DESC);
CREATE INDEX ON control_plane.tenant_events_flat USING gin (payload jsonb_path_ops);
ANALYZE control_plane.tenant_events_flat;
