-- Estate audit (issue 17, item 4): the periodic audit found an orphan or a mismatch that belongs to this tenant's row
-- (its database on another server, its database or role missing, a Tenant or Secret out of step with it...). Nothing
-- was changed: the payload names the finding and the suggested action. Recorded when the leader first sees the finding
-- and again only after a run without it (docs/audit.md); never secrets.
INSERT INTO control_plane.event_types (name, description) VALUES
    ('audit_finding', 'The estate audit found an orphan or a mismatch of this tenant; nothing was changed. Payload {"kind", "subject", "detail", "action"}, never secrets.')
ON CONFLICT (name) DO NOTHING;
