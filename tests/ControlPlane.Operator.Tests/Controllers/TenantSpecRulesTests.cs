using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class TenantSpecRulesTests
{
    private static readonly string[] Servers = ["default", "eu-2"];

    private static Tenant Tenant(string name, Action<TenantSpec>? spec = null)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "tenants" } };
        spec?.Invoke(tenant.Spec);
        return tenant;
    }

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

        Assert.Equal(expectedSlug, TenantSpecRules.EffectiveSlug(tenant));
        Assert.Equal(expectedDatabase, TenantSpecRules.EffectiveDatabaseName(tenant));
        Assert.Equal("default", TenantSpecRules.EffectiveServer(tenant));
    }

    [Fact]
    public void A_valid_spec_has_no_problems()
    {
        Assert.Empty(TenantSpecRules.Validate(Tenant("acme", s => s.Credentials = new() { SecretRef = "vault:secret/econt/tenants/acme#password" }), Servers));
    }

    [Theory]
    [InlineData("acme.example", null, null, "cannot serve as the slug")]
    [InlineData("postgres", null, null, "database name 'postgres' is not allowed")]
    [InlineData("acme-owner", null, null, "names ending in '_owner' are reserved for owner roles")]
    [InlineData("acme", "us-1", null, "spec.database.server 'us-1' is unknown; configured servers: default, eu-2.")]
    [InlineData("acme", null, "k8s:Bad/secret#key", "spec.credentials.secretRef: Not a valid secret reference")]
    public void Rules_the_schema_cannot_express_are_reported_with_what_to_fix(string name, string? server, string? secretRef, string expected)
    {
        var tenant = Tenant(name, s =>
        {
            s.Database = server is null ? null : new TenantDatabaseSpec { Server = server };
            s.Credentials = secretRef is null ? null : new TenantCredentials { SecretRef = secretRef };
        });

        var problem = Assert.Single(TenantSpecRules.Validate(tenant, Servers));
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void The_sample_tenant_is_valid_for_the_default_server()
    {
        var yaml = File.ReadAllText(RepositoryFiles.PathOf("config", "samples", "tenant-acme.yaml"));
        var tenant = KubernetesYaml.Deserialize<Tenant>(yaml);

        Assert.Equal("acme", TenantSpecRules.EffectiveSlug(tenant));
        Assert.Empty(TenantSpecRules.Validate(tenant, ["default"]));
    }
}
