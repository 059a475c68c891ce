using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Store.TenantDatabases;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class TenantValidationTests
{
    private static readonly SchemaVersion[] Shipped = [SchemaVersion.Parse("1"), SchemaVersion.Parse("2"), SchemaVersion.Parse("3")];

    /// <summary>Two servers whose administrators are <c>econt_admin</c> and <c>tenants_owner</c>; generated secrets in Kubernetes; versions 1–3 ship.</summary>
    internal static TenantValidationContext Context(Func<string, SecretReference>? generated = null) => new(
        new Dictionary<string, TenantServerFacts>(StringComparer.Ordinal)
        {
            ["default"] = new("default", "127.0.0.1", 5432, TenantServerFacts.AdministratorNames("econt_admin")),
            ["eu-2"] = new("eu-2", "db.eu-2.internal", 5432, TenantServerFacts.AdministratorNames("tenants_owner")),
        },
        generated ?? (slug => SecretReference.Kubernetes("econt-tenants", $"tenant-{slug}-db", "password")),
        requested => requested is null ? Shipped[^1]
            : Shipped.FirstOrDefault(v => SchemaVersion.TryParse(requested, out var r) && v.Equals(r))
              ?? throw new SchemaMigrationException("UnknownSchemaVersion", $"Schema version '{requested}' does not exist."));

    private static Tenant Tenant(string name, Action<TenantSpec>? spec = null)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "tenants" } };
        spec?.Invoke(tenant.Spec);
        return tenant;
    }

    private static IReadOnlyList<string> Problems(Tenant tenant, TenantValidationContext? context = null) =>
        TenantValidation.Of(tenant, context ?? Context()) switch
        {
            TenantValidation.Invalid invalid => invalid.Problems,
            _ => [],
        };

    [Theory]
    [InlineData("acme", null, null, "acme", "acme")]
    [InlineData("acme-corp", null, null, "acme-corp", "acme_corp")]
    [InlineData("x", "acme-ar", null, "acme-ar", "acme_ar")]
    [InlineData("x", "acme", "erp_acme", "acme", "erp_acme")]
    public void Slug_and_database_name_default_from_the_name_and_the_slug(string name, string? slug, string? database, string expectedSlug, string expectedDatabase)
    {
        var tenant = Tenant(name, s =>
        {
            s.Slug = slug;
            s.Database = database is null ? null : new TenantDatabaseSpec { Name = database };
        });

        var valid = Assert.IsType<TenantValidation.Valid>(TenantValidation.Of(tenant, Context()));
        Assert.Equal(expectedSlug, valid.Intent.Slug);
        Assert.Equal(expectedDatabase, valid.Intent.Database);
        Assert.Equal("default", valid.Intent.Server);
        Assert.Equal(Shipped[^1], valid.Target);
    }

    [Fact]
    public void A_valid_spec_becomes_an_intent_with_every_default_applied()
    {
        var valid = Assert.IsType<TenantValidation.Valid>(TenantValidation.Of(Tenant("acme", s => s.Limits = new() { MaxDbSizeMb = int.MaxValue }), Context()));

        Assert.Equal(
            (false, false, false, -1, (int?)int.MaxValue, "k8s:econt-tenants/tenant-acme-db#password", "acme"),
            (valid.Intent.DeleteData, valid.Intent.Suspended, valid.Intent.Maintenance, valid.Intent.ConnectionLimit, valid.Intent.Limits.MaxDbSizeMb, valid.Intent.SecretRef.ToString(), valid.Intent.DisplayName));
    }

    public static TheoryData<string, Action<TenantSpec>, string> Refused => new()
    {
        { "acme.example", _ => { }, "cannot serve as the slug" },
        { "pg-acme", _ => { }, "derived from the slug is reserved" },
        { "public", _ => { }, "derived from the slug is reserved" },
        { "none", _ => { }, "derived from the slug is reserved" },
        { "postgres", _ => { }, "derived from the slug is reserved" },
        { "current-user", _ => { }, "derived from the slug is reserved" },
        { "session-user", _ => { }, "derived from the slug is reserved" },
        { "x", s => s.Slug = "template1", "derived from the slug is reserved" },
        { "acme", s => s.Slug = new string('a', 58), "longer than 57 characters" },
        { "acme", s => s.Database = new() { Name = "pg_tenant" }, "must not be a name PostgreSQL reserves" },
        { "acme", s => s.Database = new() { Name = "current_user" }, "must not be a name PostgreSQL reserves" },
        { "acme", s => s.Database = new() { Name = "session_user" }, "must not be a name PostgreSQL reserves" },
        { "acme", s => s.Database = new() { Name = "pg_database_owner" }, "must not be a name PostgreSQL reserves" },
        { "acme", s => s.Database = new() { Name = new string('a', 58) }, "spec.database.name must be at most 57 characters" },
        { "acme", s => s.Database = new() { Name = "acme\n" }, "spec.database.name must match" },
        { "acme", s => s.Database = new() { Name = "econt_admin" }, "is reserved on server 'default'" },
        { "acme", s => s.Database = new() { Name = "tenants", Server = "eu-2" }, "is reserved on server 'eu-2'" },
        { "acme", s => s.Database = new() { Server = "us-1" }, "spec.database.server 'us-1' is unknown; configured servers: default, eu-2." },
        { "acme", s => s.SchemaVersion = "9", "spec.schemaVersion: Schema version '9' does not exist." },
        { "acme", s => s.SchemaVersion = "2\n", "spec.schemaVersion must match" },
        { "acme", s => s.BillingPlan = "gold\n", "spec.billingPlan must match" },
        { "acme", s => s.Limits = new() { MaxDbSizeMb = int.MaxValue + 1L }, "spec.limits.maxDbSizeMb must be at most 2147483647" },
        { "acme", s => s.Limits = new() { MaxUsers = int.MaxValue + 1L }, "spec.limits.maxUsers must be at most 2147483647" },
        { "acme", s => s.Limits = new() { MaxConnections = 0 }, "spec.limits.maxConnections must be at least 1" },
        { "acme", s => s.DisplayName = "Acme\0Corp", "spec.displayName must match" },
        { "acme", s => s.DisplayName = string.Concat(Enumerable.Repeat("😀", 201)), "spec.displayName must be at most 200 characters" },
        { "acme", s => { s.Suspended = true; s.SuspendedReason = "late\0"; }, "spec.suspendedReason must match" },
        { "acme", s => s.SuspendedReason = "late", "suspendedReason is only allowed while suspended is true" },
        { "acme", s => s.ContactEmail = "ops@acme.example\n", "spec.contactEmail must match" },
        { "acme", s => s.ContactEmail = "ops\u00a0team@acme.example", "spec.contactEmail must match" },
        { "acme", s => s.ContactEmail = "ops\vteam@acme.example", "spec.contactEmail must match" },
        { "acme", s => s.ContactEmail = "ops@acme", "spec.contactEmail must match" },
        { "acme", s => s.DeletionPolicy = "Drop", "spec.deletionPolicy must be one of Retain, Delete" },
        { "acme", s => s.Credentials = new() { SecretRef = "k8s:Bad/secret#key" }, "spec.credentials.secretRef must match" },
        { "acme", s => s.Credentials = new() { SecretRef = "mock:password=x" }, "secretRef must be a reference, not a credential" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Each_broken_rule_is_reported_with_what_to_fix(string name, Action<TenantSpec> spec, string expected)
    {
        var problems = Problems(Tenant(name, spec));

        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var tenant = Tenant("acme", s =>
        {
            s.DisplayName = "\0";
            s.ContactEmail = "nobody";
            s.Limits = new() { MaxUsers = 0, MaxAttachmentsGb = -1 };
        });

        Assert.Equal(4, Problems(tenant).Count);
    }

    [Fact]
    public void Lengths_are_counted_in_code_points_as_the_API_server_counts_them()
    {
        // 200 characters outside the BMP are 400 UTF-16 units: the catalog stores 200 characters.
        var tenant = Tenant("acme", s => s.DisplayName = string.Concat(Enumerable.Repeat("😀", 200)));

        Assert.Empty(Problems(tenant));
    }

    [Fact]
    public void A_generated_secret_reference_that_cannot_be_formed_is_a_problem_not_an_exception()
    {
        var context = Context(slug => SecretReference.Kubernetes("econt-tenants", $"tenant-{slug}-" + new string('x', 600), "password"));

        var problem = Assert.Single(Problems(Tenant("acme"), context));
        Assert.StartsWith("No valid secret reference can be generated for this slug", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_tenant_is_valid_for_the_default_server()
    {
        var yaml = File.ReadAllText(RepositoryFiles.PathOf("config", "samples", "tenant-acme.yaml"));
        var tenant = KubernetesYaml.Deserialize<Tenant>(yaml);

        Assert.Equal("acme", TenantSpecRules.EffectiveSlug(tenant));
        Assert.Empty(Problems(tenant));
    }
}
