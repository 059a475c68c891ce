using ControlPlane.Store.Sql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// The SQL of each step. Identifiers are validated and quoted by <see cref="SqlIdentifier"/>; the only literal is a
/// SCRAM verifier. Utility statements (CREATE ROLE/DATABASE, GRANT) cannot take parameters, hence the quoting.
/// Catalog access is schema-qualified (<c>pg_catalog.</c>) so that no object of a tenant's can stand in for it.
/// </summary>
public static class TenantDatabaseSql
{
    /// <summary>Everything a tenant role is denied, spelled out so a changed server default cannot grant it.</summary>
    private const string RoleAttributes = "NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT";

    /// <summary>What the application role may do with the data: no TRUNCATE, REFERENCES or TRIGGER, no DDL.</summary>
    private const string TablePrivileges = "SELECT, INSERT, UPDATE, DELETE";

    private const string SequencePrivileges = "USAGE, SELECT";

    /// <summary>
    /// $1 application role, $2 database, $3 owner role, $4 every owned role (their ownership marks); read from shared
    /// catalogs in the maintenance database.
    /// </summary>
    public const string Observe = """
        SELECT r.oid IS NOT NULL,
               COALESCE(r.rolcanlogin, false),
               COALESCE(r.rolconnlimit, -1),
               COALESCE(r.rolsuper OR r.rolcreatedb OR r.rolcreaterole OR r.rolreplication OR r.rolbypassrls, false),
               r.oid IS NOT NULL AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'SET') AND pg_catalog.pg_has_role(CURRENT_USER, r.oid, 'USAGE'),
               d.oid IS NOT NULL,
               pg_catalog.pg_get_userbyid(d.datdba)::pg_catalog.text,
               COALESCE((SELECT pg_catalog.bool_or(a.grantee = 0)
                           FROM pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
                          WHERE a.privilege_type = 'CONNECT'), false),
               COALESCE((SELECT pg_catalog.bool_or(a.grantee = r.oid)
                           FROM pg_catalog.aclexplode(COALESCE(d.datacl, pg_catalog.acldefault('d', d.datdba))) a
                          WHERE a.privilege_type = 'CONNECT'), false),
               o.oid IS NOT NULL,
               COALESCE(o.rolcanlogin, false),
               COALESCE(o.rolsuper OR o.rolcreatedb OR o.rolcreaterole OR o.rolreplication OR o.rolbypassrls, false),
               o.oid IS NOT NULL AND pg_catalog.pg_has_role(CURRENT_USER, o.oid, 'SET') AND pg_catalog.pg_has_role(CURRENT_USER, o.oid, 'USAGE'),
               EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend s
                        WHERE s.dbid = d.oid AND s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass
                          AND s.refobjid = r.oid AND s.deptype = 'o'),
               EXISTS (SELECT 1 FROM pg_catalog.pg_shdepend s
                        WHERE s.dbid = d.oid AND s.classid = 'pg_catalog.pg_default_acl'::pg_catalog.regclass
                          AND s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.refobjid = r.oid AND s.deptype = 'a'),
               EXISTS (SELECT 1 FROM pg_catalog.pg_stat_activity a
                        WHERE a.usesysid IN (r.oid, o.oid) AND a.pid <> pg_catalog.pg_backend_pid()),
               pg_catalog.shobj_description(d.oid, 'pg_database'),
               (SELECT pg_catalog.array_agg(x.oid IS NOT NULL ORDER BY n.ord)
                  FROM pg_catalog.unnest($4::pg_catalog.text[]) WITH ORDINALITY AS n(name, ord)
                  LEFT JOIN pg_catalog.pg_roles x ON x.rolname = n.name),
               (SELECT pg_catalog.array_agg(pg_catalog.shobj_description(x.oid, 'pg_authid') ORDER BY n.ord)
                  FROM pg_catalog.unnest($4::pg_catalog.text[]) WITH ORDINALITY AS n(name, ord)
                  LEFT JOIN pg_catalog.pg_roles x ON x.rolname = n.name)
        FROM (SELECT 1) AS one
        LEFT JOIN pg_catalog.pg_roles r ON r.rolname = $1
        LEFT JOIN pg_catalog.pg_database d ON d.datname = $2
        LEFT JOIN pg_catalog.pg_roles o ON o.rolname = $3
        """;

    public const string AdminFacts = """
        SELECT r.rolsuper, r.rolcreatedb, r.rolcreaterole, COALESCE(s.ssl, false)
        FROM pg_catalog.pg_roles r
        LEFT JOIN pg_catalog.pg_stat_ssl s ON s.pid = pg_catalog.pg_backend_pid()
        WHERE r.rolname = CURRENT_USER
        """;

    /// <summary>
    /// Ends every session of the given roles ($1, a text array) in every database of the server, and waits (up to 5 s
    /// each) until each backend has exited: a signalled backend stays in pg_stat_activity while it cleans up, and the
    /// next observation would take it for a new session (a second termination, and drift reported for nothing).
    /// A backend still there after the wait is seen, and ended again, by the next converge.
    /// </summary>
    public const string TerminateSessions = """
        SELECT pg_catalog.count(pg_catalog.pg_terminate_backend(a.pid, 5000))::pg_catalog.int4
        FROM pg_catalog.pg_stat_activity a
        WHERE a.usesysid IN (SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolname = ANY ($1))
          AND a.pid <> pg_catalog.pg_backend_pid()
        """;

    public static string For(TenantDatabaseStep step, TenantDatabaseTarget spec, ScramVerifier? password)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(spec);
        var role = SqlIdentifier.Quote(spec.Role);
        var owner = SqlIdentifier.Quote(spec.OwnerRole);
        var database = SqlIdentifier.Quote(spec.Database);
        return step switch
        {
            TenantDatabaseStep.CreateRole create =>
                $"CREATE ROLE {role} {(create.Login ? "LOGIN" : "NOLOGIN")} {RoleAttributes} CONNECTION LIMIT {create.ConnectionLimit}"
                + (password is null ? "" : $" PASSWORD {password.ToSqlLiteral()}"),

            // PostgreSQL 16+: a CREATEROLE admin holds ADMIN OPTION on roles it creates but must grant itself
            // SET (to create or transfer the database OWNER the role) and INHERIT (to drop what it owns, end its sessions).
            TenantDatabaseStep.GrantRoleToAdmin => $"GRANT {role} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE",
            TenantDatabaseStep.SetLogin login => $"ALTER ROLE {role} {(login.Login ? "LOGIN" : "NOLOGIN")}",
            TenantDatabaseStep.SetConnectionLimit limit => $"ALTER ROLE {role} CONNECTION LIMIT {limit.ConnectionLimit}",
            TenantDatabaseStep.MarkRole mark => MarkRole(mark.Role, spec.Ownership.Tenant),
            TenantDatabaseStep.MarkDatabase => $"COMMENT ON DATABASE {database} IS {MarkLiteral(spec.Ownership.Tenant)}",
            TenantDatabaseStep.CreateOwnerRole => $"CREATE ROLE {owner} NOLOGIN {RoleAttributes}",
            TenantDatabaseStep.GrantOwnerToAdmin => $"GRANT {owner} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE",
            TenantDatabaseStep.SealOwner => SealOwner(spec),
            TenantDatabaseStep.CreateDatabase => $"CREATE DATABASE {database} OWNER {owner} TEMPLATE template0 ENCODING 'UTF8'",
            TenantDatabaseStep.RevokePublicConnect => $"REVOKE ALL ON DATABASE {database} FROM PUBLIC",
            TenantDatabaseStep.GrantConnect => $"GRANT CONNECT ON DATABASE {database} TO {role}",
            TenantDatabaseStep.RevokeConnect => $"REVOKE CONNECT ON DATABASE {database} FROM {role}",
            TenantDatabaseStep.TerminateSessions => TerminateSessions,
            _ => throw new ArgumentOutOfRangeException(nameof(step), step, "Unknown step."),
        };
    }

    /// <summary>The ownership mark on a role: needs CREATEROLE and ADMIN OPTION on it, which a tenant's login never has.</summary>
    public static string MarkRole(string role, Guid tenant) => $"COMMENT ON ROLE {SqlIdentifier.Quote(role)} IS {MarkLiteral(tenant)}";

    /// <summary>The mark as a literal: a fixed prefix and a formatted Guid, so there is nothing to escape.</summary>
    private static string MarkLiteral(Guid tenant) => $"'{OwnershipMark.For(tenant)}'";

    /// <summary>
    /// Moves a pre-ADR-CP-008 database to the owner role. Run in one transaction from the maintenance database: changing
    /// the owner rewrites the old owner's CONNECT to the new one, and the application role gets its own in the same commit.
    /// Neither statement runs code of the tenant's (no trigger or function fires on ALTER DATABASE or GRANT).
    /// </summary>
    public static IReadOnlyList<string> TransferDatabase(TenantDatabaseTarget spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var database = SqlIdentifier.Quote(spec.Database);
        return
        [
            $"ALTER DATABASE {database} OWNER TO {SqlIdentifier.Quote(spec.OwnerRole)}",
            $"GRANT CONNECT ON DATABASE {database} TO {SqlIdentifier.Quote(spec.Role)}",
        ];
    }

    /// <summary>
    /// So that the owner may <c>REASSIGN OWNED BY</c> the application role (which needs the privileges of both roles).
    /// The owner gains only what the application role already has; the application role gains nothing.
    /// </summary>
    public static string GrantApplicationToOwner(TenantDatabaseTarget spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"GRANT {SqlIdentifier.Quote(spec.Role)} TO {SqlIdentifier.Quote(spec.OwnerRole)} WITH INHERIT TRUE, SET FALSE";
    }

    /// <summary>Gives the owner role a one-time password for one migration session (ADR-CP-008).</summary>
    public static string UnsealOwner(TenantDatabaseTarget spec, ScramVerifier password)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(password);
        return $"ALTER ROLE {SqlIdentifier.Quote(spec.OwnerRole)} LOGIN PASSWORD {password.ToSqlLiteral()}";
    }

    public static string SealOwner(TenantDatabaseTarget spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return $"ALTER ROLE {SqlIdentifier.Quote(spec.OwnerRole)} NOLOGIN PASSWORD NULL";
    }

    /// <summary>
    /// Run in the owner's own session (never the admin's), in one transaction: what the application role owns becomes the
    /// owner's, and the application role gets data privileges on every tenant table and sequence that exists and, through
    /// the owner's default privileges, on every one a migration creates. The migration changelog is read-only to it.
    /// </summary>
    public static IReadOnlyList<string> HandOverToOwner(TenantDatabaseTarget spec, bool reassign, string changelogTable)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var role = SqlIdentifier.Quote(spec.Role);
        var owner = SqlIdentifier.Quote(spec.OwnerRole);
        var changelog = "public." + SqlIdentifier.Quote(changelogTable);
        var statements = new List<string>();
        if (reassign)
        {
            statements.Add($"REASSIGN OWNED BY {role} TO {owner}");
        }

        statements.Add($"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT {TablePrivileges} ON TABLES TO {role}");
        statements.Add($"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} GRANT {SequencePrivileges} ON SEQUENCES TO {role}");
        statements.Add($$"""
            DO $grant$
            DECLARE s pg_catalog.name;
            BEGIN
                FOR s IN SELECT n.nspname FROM pg_catalog.pg_namespace n
                         WHERE n.nspname NOT LIKE 'pg\_%' AND n.nspname <> 'information_schema'
                           AND pg_catalog.pg_has_role(n.nspowner, 'USAGE')
                LOOP
                    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO {{role}}', s);
                    EXECUTE pg_catalog.format('GRANT {{TablePrivileges}} ON ALL TABLES IN SCHEMA %I TO {{role}}', s);
                    EXECUTE pg_catalog.format('GRANT {{SequencePrivileges}} ON ALL SEQUENCES IN SCHEMA %I TO {{role}}', s);
                END LOOP;
                IF pg_catalog.to_regclass('{{changelog.Replace("'", "''", StringComparison.Ordinal)}}') IS NOT NULL THEN
                    REVOKE ALL ON TABLE {{changelog}} FROM {{role}};
                    GRANT SELECT ON TABLE {{changelog}} TO {{role}};
                END IF;
            END
            $grant$
            """);
        return statements;
    }

    public static string SetPassword(string role, ScramVerifier password)
    {
        ArgumentNullException.ThrowIfNull(password);
        return $"ALTER ROLE {SqlIdentifier.Quote(role)} PASSWORD {password.ToSqlLiteral()}";
    }

    public static string DropDatabase(string database) => $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(database)} WITH (FORCE)";

    public static string DropRole(string role) => $"DROP ROLE IF EXISTS {SqlIdentifier.Quote(role)}";

    /// <summary>A role left behind on deletion (its drop was blocked): nobody logs in as it any more.</summary>
    public static string LockRole(string role) => $"ALTER ROLE {SqlIdentifier.Quote(role)} NOLOGIN";

    /// <summary>
    /// Why a role cannot be dropped (SQLSTATE 2BP01), per database, from the shared dependency catalog (readable by any
    /// role; no session in those databases): objects it owns or privileges it holds there (<c>dbid</c> of the
    /// database), databases it owns or holds privileges on (<c>dbid</c> 0, class <c>pg_database</c>). Other shared
    /// objects (tablespaces, parameters) come with a null database. $1: the role.
    /// </summary>
    public const string RoleDependencies = """
        SELECT coalesce(inside.datname, shared.datname) AS database,
               bool_or(s.dbid <> 0 AND s.deptype = 'o') AS owns_objects,
               bool_or(s.dbid <> 0 AND s.deptype <> 'o') AS holds_privileges,
               bool_or(s.dbid = 0 AND shared.oid IS NOT NULL AND s.deptype = 'o') AS owns_database,
               bool_or(s.dbid = 0 AND shared.oid IS NOT NULL AND s.deptype <> 'o') AS database_privileges
        FROM pg_catalog.pg_shdepend s
        JOIN pg_catalog.pg_roles r ON r.oid = s.refobjid AND r.rolname = $1
        LEFT JOIN pg_catalog.pg_database inside ON s.dbid <> 0 AND inside.oid = s.dbid
        LEFT JOIN pg_catalog.pg_database shared ON s.dbid = 0 AND s.classid = 'pg_catalog.pg_database'::regclass AND shared.oid = s.objid
        WHERE s.refclassid = 'pg_catalog.pg_authid'::regclass AND s.deptype IN ('o', 'a', 'r', 'i')
        GROUP BY 1
        ORDER BY 1
        """;
}
