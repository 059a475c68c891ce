-- Events benchmark data, loaded before V17 (into the unpartitioned tenant_events of the previous release):
-- @tenants tenants, @per_tenant events each, built set-wise by generate_series.
--   * active tenants (9 in 10): their events scattered over the last 365 days, a pseudo-random second of the year
--     per event (a multiplicative hash of the event number, shifted per tenant);
--   * dormant tenants (every 10th): all their events in one 30-day window between 7 and 12 months ago, nothing since.
-- (Until issue 18's second pass every tenant was "dormant": the scatter spanned 9 days per tenant, not the year.)
-- Runs with session_replication_role = replica when allowed (skips FK checks: the data is correct by construction).
INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, schema_version, status)
SELECT format('tenant-%s', lpad(g::text, 7, '0')), format('Tenant %s SA', g), format('tenant_%s', lpad(g::text, 7, '0')),
       format('pg-%s.tenants.internal', g % 8), format('app_%s', lpad(g::text, 7, '0')),
       format('k8s:econt-tenants/tenant-%s-db#password', lpad(g::text, 7, '0')), '2024.1', 'active'
  FROM generate_series(1, @tenants) AS g;

INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at)
SELECT t.id,
       (ARRAY['status_changed', 'migrated', 'error', 'profile_updated', 'drift_repaired'])[1 + e % 5],
       'operator',
       jsonb_build_object('from', '2024.' || (e % 5), 'to', '2024.' || ((e + 1) % 5), 'seq', e),
       CASE WHEN t.n % 10 = 0
            THEN now() - interval '210 days' - make_interval(secs => (e * 25920 + t.n * 104729) % 13392000)
            ELSE now() - make_interval(secs => (e * 2654435761 + t.n * 104729) % 31536000)
       END
  FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM control_plane.tenants) AS t
 CROSS JOIN generate_series(1::bigint, @per_tenant) AS e;
