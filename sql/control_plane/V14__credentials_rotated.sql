-- Password rotation (issue 16). One credentials_rotated event per rotation request: the payload names the request
-- ("rotation": the annotation's token, or "schedule:<due time>" for spec.credentials.rotateEvery) and never the
-- password. The unique index makes "exactly one rotation per request" the catalog's own rule, so an operator that
-- crashed after recording it and runs again cannot record it twice. The newest event is where the schedule starts
-- again when the Tenant's status is lost.
INSERT INTO control_plane.event_types (name, description) VALUES
    ('credentials_rotated', 'The tenant''s database password was rotated (new secret version, new role verifier); payload {"rotation", "scheduled"}, never the password.')
ON CONFLICT (name) DO NOTHING;

CREATE UNIQUE INDEX tenant_events_credentials_rotated_once
    ON control_plane.tenant_events (tenant_id, (payload ->> 'rotation'))
    WHERE event_type = 'credentials_rotated';
