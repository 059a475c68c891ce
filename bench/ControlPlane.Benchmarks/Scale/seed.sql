-- Scale benchmark: $1 healthy tenants, built set-wise by generate_series. Each id is md5('tenant-NNNNNN')::uuid, so
-- the Tenant object of that name knows its row without a status write (ScaleBenchmark.RowId computes the same).
INSERT INTO control_plane.tenants
    (id, slug, display_name, db_name, db_host, db_port, db_user, db_secret_ref, schema_version, status,
     owner_namespace, owner_name, owner_uid, db_server)
SELECT md5(format('tenant-%s', lpad(g::text, 6, '0')))::uuid,
       format('tenant-%s', lpad(g::text, 6, '0')),
       format('Tenant %s SA', g),
       format('tenant_%s', lpad(g::text, 6, '0')),
       'pg.tenants.internal',
       5432,
       format('tenant_%s', lpad(g::text, 6, '0')),
       format('k8s:econt-tenants/tenant-%s-db#password', lpad(g::text, 6, '0')),
       '2',
       'active',
       'tenants',
       format('tenant-%s', lpad(g::text, 6, '0')),
       NULL,
       'default'
  FROM generate_series(1, $1) AS g
