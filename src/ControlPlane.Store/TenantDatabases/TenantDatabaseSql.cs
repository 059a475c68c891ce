using ControlPlane.Store.Sql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// The SQL of each step. Identifiers are validated and quoted by <see cref="SqlIdentifier"/>; the only literal is a
/// SCRAM verifier. Utility statements (CREATE ROLE/DATABASE, GRANT) cannot take parameters, hence the quoting.
/// </summary>
public static class TenantDatabaseSql
{
    /// <summary>Everything a tenant role is denied, spelled out so a changed server default cannot grant it.</summary>
    private const string RoleAttributes = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT";

    public const string Observe = """
        SELECT r.oid IS NOT NULL,
               COALESCE(r.rolcanlogin, false),
               COALESCE(r.rolconnlimit, -1),
               COALESCE(r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls, false),
               r.oid IS NOT NULL AND pg_has_role(current_user, r.oid, 'SET') AND pg_has_role(current_user, r.oid, 'USAGE'),
               d.oid IS NOT NULL,
               pg_get_userbyid(d.datdba),
               COALESCE((SELECT bool_or(a.grantee = 0) FROM aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
                         WHERE a.privilege_type = 'CONNECT'), false),
               COALESCE((SELECT bool_or(a.grantee = r.oid) FROM aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
                         WHERE a.privilege_type = 'CONNECT'), false),
               COALESCE((SELECT bool_or(a.grantee = (SELECT oid FROM pg_roles WHERE rolname = current_user))
                           FROM aclexplode(COALESCE(d.datacl, acldefault('d', d.datdba))) a
                         WHERE a.privilege_type = 'CONNECT'), false),
               pg_catalog.shobj_description(d.oid, 'pg_database'),
               (SELECT array_agg(o.oid IS NOT NULL ORDER BY n.ord) FROM unnest($3::text[]) WITH ORDINALITY AS n(name, ord)
                  LEFT JOIN pg_catalog.pg_roles o ON o.rolname = n.name),
               (SELECT array_agg(pg_catalog.shobj_description(o.oid, 'pg_authid') ORDER BY n.ord)
                  FROM unnest($3::text[]) WITH ORDINALITY AS n(name, ord)
                  LEFT JOIN pg_catalog.pg_roles o ON o.rolname = n.name)
        FROM (SELECT 1) AS one
        LEFT JOIN pg_roles r ON r.rolname = $1
        LEFT JOIN pg_database d ON d.datname = $2
        """;

    public const string TerminateSessions = """
        SELECT count(pg_terminate_backend(pid))::int FROM pg_stat_activity
        WHERE datname = $1 AND pid <> pg_backend_pid()
        """;

    public static string For(TenantDatabaseStep step, TenantDatabaseSpec spec, ScramVerifier? password)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(spec);
        var role = SqlIdentifier.Quote(spec.Role);
        var database = SqlIdentifier.Quote(spec.Database);
        return step switch
        {
            TenantDatabaseStep.CreateRole create =>
                $"CREATE ROLE {role} {(create.Login ? "LOGIN" : "NOLOGIN")} {RoleAttributes} CONNECTION LIMIT {create.ConnectionLimit}"
                + (password is null ? "" : $" PASSWORD {password.ToSqlLiteral()}"),

            // PostgreSQL 16+: a CREATEROLE admin holds ADMIN OPTION on roles it creates but must grant itself
            // SET (to create the database OWNER the role, run migrations as it) and INHERIT (to drop what it owns).
            TenantDatabaseStep.GrantRoleToAdmin => $"GRANT {role} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE",
            TenantDatabaseStep.SetLogin login => $"ALTER ROLE {role} {(login.Login ? "LOGIN" : "NOLOGIN")}",
            TenantDatabaseStep.SetConnectionLimit limit => $"ALTER ROLE {role} CONNECTION LIMIT {limit.ConnectionLimit}",
            TenantDatabaseStep.MarkRole mark => MarkRole(mark.Role, spec.Ownership.Tenant),
            TenantDatabaseStep.MarkDatabase => $"COMMENT ON DATABASE {database} IS {MarkLiteral(spec.Ownership.Tenant)}",
            TenantDatabaseStep.CreateDatabase => $"CREATE DATABASE {database} OWNER {role} TEMPLATE template0 ENCODING 'UTF8'",
            TenantDatabaseStep.RevokePublicConnect => $"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
            TenantDatabaseStep.GrantConnect => $"GRANT CONNECT ON DATABASE {database} TO {role}",
            TenantDatabaseStep.RevokeConnect => $"REVOKE CONNECT ON DATABASE {database} FROM {role}",
            TenantDatabaseStep.GrantConnectToAdmin => $"GRANT CONNECT ON DATABASE {database} TO CURRENT_USER",
            TenantDatabaseStep.TerminateSessions => TerminateSessions,
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, "Unknown step."),
        };
    }

    /// <summary>The ownership mark on a role: needs CREATEROLE and ADMIN OPTION on it, which a tenant's login never has.</summary>
    public static string MarkRole(string role, Guid tenant) => $"COMMENT ON ROLE {SqlIdentifier.Quote(role)} IS {MarkLiteral(tenant)}";

    /// <summary>The mark as a literal: a fixed prefix and a formatted Guid, so there is nothing to escape.</summary>
    private static string MarkLiteral(Guid tenant) => $"'{OwnershipMark.For(tenant)}'";

    public static string SetPassword(string role, ScramVerifier password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return $"ALTER ROLE {SqlIdentifier.Quote(role)} PASSWORD {password.ToSqlLiteral()}";
    }

    public static string DropDatabase(string database) => $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)} WITH (FORCE)";

    public static string DropRole(string role) => $"DROP ROLE IF EXISTS {SqlIdentifier.Quote(role)}";
}
