-- Deletion's escape hatch (issue 13): a Tenant annotated controlplane.econt.io/skip-cleanup=<reason> while being
-- deleted is released although cleanup could not finish (server removed from the configuration or unreachable, a role
-- owning objects in other databases). The release is audited with the actor; what stays behind is listed.
-- Idempotent like V3: re-running adds nothing.
INSERT INTO control_plane.event_types (name, description) VALUES
    ('cleanup_skipped', 'Deletion was released by the skip-cleanup annotation without full cleanup; payload {"reason", "cause", "left"}, never secrets.')
ON CONFLICT (name) DO NOTHING;
