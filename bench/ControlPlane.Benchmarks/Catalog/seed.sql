-- Catalog benchmark data: 100,000 tenants and 1,000,000 events (10 per tenant), built set-wise by generate_series.
-- Runs with session_replication_role = replica when allowed (skips triggers and FK checks: the data is correct by construction).
INSERT INTO control_plane.tenants
    (slug, display_name, db_name, db_host, db_port, db_user, db_secret_ref, schema_version, status, created_at, updated_at, deleted_at)
SELECT format('tenant-%s', lpad(g::text, 6, '0')),
       format('Tenant %s SA', g),
       format('tenant_%s', lpad(g::text, 6, '0')),
       format('pg-%s.tenants.internal', g % 8),
       5432,
       format('app_%s', lpad(g::text, 6, '0')),
       format('k8s:econt-tenants/tenant-%s-db#password', lpad(g::text, 6, '0')),
       '2024.' || (g % 5),
       CASE WHEN g % 50 = 0 THEN 'deleted' WHEN g % 20 = 0 THEN 'suspended' WHEN g % 33 = 0 THEN 'provisioning' ELSE 'active' END,
       now() - make_interval(days => g % 700),
       now() - make_interval(secs => g),
       CASE WHEN g % 50 = 0 THEN now() - make_interval(days => g % 30) END
  FROM generate_series(1, 100000) AS g;

INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at)
SELECT t.id,
       (ARRAY['status_changed', 'migrated', 'error', 'profile_updated', 'suspended'])[1 + e % 5],
       'operator',
       jsonb_build_object('from', '2024.' || (e % 5), 'to', '2024.' || ((e + 1) % 5), 'seq', e),
       now() - make_interval(mins => (e * 7 + t.n % 60)::int)
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM control_plane.tenants) AS t
 CROSS JOIN generate_series(1, 10) AS e;

ANALYZE control_plane.tenants;
ANALYZE control_plane.tenant_events;
