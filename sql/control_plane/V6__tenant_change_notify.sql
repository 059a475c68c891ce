-- Cache invalidation for the tenant resolver: every change to a tenant row is announced on the channel
-- control_plane_tenants. The payload identifies the row only (id, slug, the slug before an update when it
-- changed, and the operation); it never carries connection data or the secret reference.
CREATE FUNCTION control_plane.notify_tenant_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    changed  control_plane.tenants;
    old_slug text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND OLD.slug IS DISTINCT FROM NEW.slug THEN
        old_slug := OLD.slug;
    END IF;
    PERFORM pg_notify('control_plane_tenants', json_build_object(
        'op', lower(TG_OP),
        'id', changed.id,
        'slug', changed.slug,
        'old_slug', old_slug)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER tenants_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON control_plane.tenants
    FOR EACH ROW EXECUTE FUNCTION control_plane.notify_tenant_change();
