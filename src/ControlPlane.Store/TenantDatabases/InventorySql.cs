namespace ControlPlane.Store.TenantDatabases;

/// <summary>The estate audit's one read of a tenant server (ADR-CP-007's marks, read from <c>pg_shdescription</c>).</summary>
internal static class InventorySql
{
    /// <summary>
    /// Databases (kind 'd'): all but templates and the maintenance database, so that a row's database name held by an
    /// unmarked database is seen too. Roles (kind 'r'): only those whose comment has the mark's prefix (the mark's exact
    /// shape is checked by <see cref="OwnershipMark.Parse"/>); a server's other roles are none of the audit's business.
    /// </summary>
    public const string Inventory = """
        SELECT 'd', d.datname::pg_catalog.text, pg_catalog.shobj_description(d.oid, 'pg_database'),
               pg_catalog.pg_has_role(CURRENT_USER, d.datdba, 'MEMBER')
          FROM pg_catalog.pg_database d
         WHERE NOT d.datistemplate AND d.datname <> 'postgres'
        UNION ALL
        SELECT 'r', r.rolname::pg_catalog.text, pg_catalog.shobj_description(r.oid, 'pg_authid'),
               pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'MEMBER')
          FROM pg_catalog.pg_roles r
         WHERE pg_catalog.shobj_description(r.oid, 'pg_authid') LIKE 'econt-control-plane tenant %'
        """;
}
