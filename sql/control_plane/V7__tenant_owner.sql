-- Which Kubernetes object owns each tenant (ADR-CP-007): namespace and name identify it, the uid is a hint of the
-- object that last claimed the row (a Tenant re-created from Git has a new uid and the same namespace and name).
-- Rows registered before this release have no owner until the operator records it through the Tenant whose status
-- names the row (docs/lifecycle.md, "Upgrading to ownership marks").
ALTER TABLE control_plane.tenants
    ADD COLUMN owner_namespace text CONSTRAINT tenants_owner_namespace_shape
        CHECK (length(owner_namespace) <= 63 AND owner_namespace ~ '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'),
    ADD COLUMN owner_name text CONSTRAINT tenants_owner_name_shape
        CHECK (length(owner_name) <= 253 AND owner_name ~ '^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$'),
    ADD COLUMN owner_uid text CONSTRAINT tenants_owner_uid_shape CHECK (length(owner_uid) <= 64),
    ADD CONSTRAINT tenants_owner_complete CHECK ((owner_namespace IS NULL) = (owner_name IS NULL)
                                                 AND (owner_uid IS NULL OR owner_name IS NOT NULL));

-- One live row per Kubernetes object: a Tenant whose status was lost finds its row here instead of registering again.
CREATE UNIQUE INDEX tenants_owner_live_key ON control_plane.tenants (owner_namespace, owner_name)
    WHERE deleted_at IS NULL AND owner_name IS NOT NULL;

INSERT INTO control_plane.event_types (name, description) VALUES
    ('owner_recorded', 'The Kubernetes object owning the tenant was recorded or re-created; payload {"namespace", "name", "uid", "previous_uid"}.'),
    ('adopted',        'A deleted tenant''s retained database and role were explicitly adopted; payload {"from"} on the adopter, {"by"} on the previous tenant, with the namespace and name of the request.')
ON CONFLICT (name) DO NOTHING;
