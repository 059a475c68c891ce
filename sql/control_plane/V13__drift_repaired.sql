-- Drift repair (issue 13, item 6): the periodic resync found a tenant's database, roles, login state, connection
-- limit or schema changed behind the operator's back and put them back. One event per repair, idempotent seed.
INSERT INTO control_plane.event_types (name, description) VALUES
    ('drift_repaired', 'The resync found the tenant''s database, roles or schema changed by hand and restored them; payload {"what", "steps", "schema"}, never secrets.')
ON CONFLICT (name) DO NOTHING;
