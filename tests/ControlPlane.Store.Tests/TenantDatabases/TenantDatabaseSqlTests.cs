using ControlPlane.Store.TenantDatabases;
using Step = ControlPlane.Store.TenantDatabases.TenantDatabaseStep;

namespace ControlPlane.Store.Tests.TenantDatabases;

public sealed class TenantDatabaseSqlTests
{
    private static readonly TenantDatabaseTarget Spec = new("tenant_acme", "tenant_acme", 15, Suspended: false) { Ownership = new(Guid.Empty) };

    public static TheoryData<Step, string> Statements => new()
    {
        { new Step.CreateRole(true, 15), "CREATE ROLE \"tenant_acme\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 15" },
        { new Step.CreateRole(false, -1), "CREATE ROLE \"tenant_acme\" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT -1" },
        { new Step.GrantRoleToAdmin(), "GRANT \"tenant_acme\" TO CURRENT_USER WITH INHERIT TRUE, SET TRUE" },
        { new Step.SetLogin(false), "ALTER ROLE \"tenant_acme\" NOLOGIN" },
        { new Step.SetConnectionLimit(3), "ALTER ROLE \"tenant_acme\" CONNECTION LIMIT 3" },
        { new Step.CreateOwnerRole(), "CREATE ROLE \"tenant_acme_owner\" NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT" },
        { new Step.GrantOwnerToAdmin(), "GRANT \"tenant_acme_owner\" TO CURRENT_USER WITH INHERIT TRUE, SET TRUE" },
        { new Step.SealOwner(), "ALTER ROLE \"tenant_acme_owner\" NOLOGIN PASSWORD NULL" },
        { new Step.CreateDatabase(), "CREATE DATABASE \"tenant_acme\" OWNER \"tenant_acme_owner\" TEMPLATE template0 ENCODING 'UTF8'" },
        { new Step.RevokePublicConnect(), "REVOKE ALL ON DATABASE \"tenant_acme\" FROM PUBLIC" },
        { new Step.GrantConnect(), "GRANT CONNECT ON DATABASE \"tenant_acme\" TO \"tenant_acme\"" },
        { new Step.RevokeConnect(), "REVOKE CONNECT ON DATABASE \"tenant_acme\" FROM \"tenant_acme\"" },
    };

    [Theory]
    [MemberData(nameof(Statements))]
    public void Each_step_renders_quoted_identifiers(Step step, string expected) =>
        Assert.Equal(expected, TenantDatabaseSql.For(step, Spec, password: null));

    [Fact]
    public void A_created_role_carries_a_scram_verifier_never_the_password()
    {
        const string password = "Gx7pQ2vN9sLk4TzR8wYb3MfH6cJd5AeU";
        var sql = TenantDatabaseSql.For(new Step.CreateRole(true, 5), Spec, ScramVerifier.Compute(password));

        Assert.DoesNotContain(password, sql, StringComparison.Ordinal);
        Assert.Matches(@" PASSWORD 'SCRAM-SHA-256\$4096:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+'$", sql);
    }

    [Fact]
    public void The_application_role_is_granted_data_privileges_only_and_never_the_changelog()
    {
        var sql = string.Join("\n", TenantDatabaseSql.HandOverToOwner(Spec, reassign: true, "econt_schema_changelog"));

        Assert.StartsWith("REASSIGN OWNED BY \"tenant_acme\" TO \"tenant_acme_owner\"", sql, StringComparison.Ordinal);
        Assert.Contains("ALTER DEFAULT PRIVILEGES FOR ROLE \"tenant_acme_owner\" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO \"tenant_acme\"", sql, StringComparison.Ordinal);
        Assert.Contains("REVOKE ALL ON TABLE public.\"econt_schema_changelog\" FROM \"tenant_acme\"", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("TRUNCATE", sql, StringComparison.Ordinal);
        Assert.DoesNotContain("ALL PRIVILEGES", sql, StringComparison.Ordinal);
    }

    [Fact]
    public void A_verifier_is_redacted_in_its_string_form() =>
        Assert.Equal("SCRAM-SHA-256$(redacted)", ScramVerifier.Compute("abcdefgh").ToString());

    [Theory]
    [InlineData("acme\"; DROP DATABASE postgres; --")]
    [InlineData("Acme")]
    [InlineData("tenant acme")]
    [InlineData("1acme")]
    [InlineData("")]
    [InlineData("postgres")]
    [InlineData("template1")]
    [InlineData("pg_tenant")]
    [InlineData("acme_owner")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123")]
    public void Hostile_or_reserved_names_are_refused_before_any_sql_is_built(string name)
    {
        Assert.Throws<ArgumentException>(() => new TenantDatabaseTarget(name, "tenant_ok", -1, false) { Ownership = new(Guid.Empty) }.Validate());
        Assert.Throws<ArgumentException>(() => new TenantDatabaseTarget("tenant_ok", name, -1, false) { Ownership = new(Guid.Empty) }.Validate());
    }

    [Theory]
    [InlineData("1", "2", -1)]
    [InlineData("2.10", "2.9", 1)]
    [InlineData("2", "2.0", 0)]
    [InlineData("2_1", "2.1", 0)]
    public void Schema_versions_compare_part_by_part(string left, string right, int expectedSign) =>
        Assert.Equal(expectedSign, Math.Sign(SchemaVersion.Parse(left).CompareTo(SchemaVersion.Parse(right))));

    [Theory]
    [InlineData("v2")]
    [InlineData("2.")]
    [InlineData("-1")]
    [InlineData("2 ")]
    public void Malformed_schema_versions_are_refused(string value) =>
        Assert.False(SchemaVersion.TryParse(value, out _));
}
