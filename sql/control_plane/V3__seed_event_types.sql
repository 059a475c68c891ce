-- The event catalog (§3), idempotent: re-running this script adds nothing and changes nothing.
-- profile_updated and limits_updated are additions so that every catalog write has an audit event (ADR-CP-001).
INSERT INTO control_plane.event_types (name, description) VALUES
    ('provisioned',     'The tenant database was provisioned and the tenant became active for the first time.'),
    ('migrated',        'The tenant schema moved from one version to another; payload {"from", "to"}.'),
    ('suspended',       'The tenant was suspended; payload {"reason"}.'),
    ('resumed',         'A suspended tenant became active again.'),
    ('deleting',        'Deletion of the tenant started.'),
    ('deleted',         'The tenant was soft-deleted (deleted_at set); its slug and database name are free again.'),
    ('status_changed',  'Any status change; payload {"from", "to"} (from is null on registration).'),
    ('error',           'An operation on the tenant failed; payload {"reason", "message"}, never secrets.'),
    ('profile_updated', 'Display data changed; payload {"fields"}.'),
    ('limits_updated',  'Tenant limits changed; payload holds the new limits.')
ON CONFLICT (name) DO NOTHING;
