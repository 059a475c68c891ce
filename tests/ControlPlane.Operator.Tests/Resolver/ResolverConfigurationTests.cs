using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Resolver;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace ControlPlane.Operator.Tests.Resolver;

public sealed class ResolverConfigurationTests
{
    [Theory]
    [InlineData(DeploymentEnvironment.Staging)]
    [InlineData(DeploymentEnvironment.Prod)]
    public void Outside_dev_the_resolver_refuses_to_start_without_tls(DeploymentEnvironment environment)
    {
        var error = Assert.Throws<ConfigurationException>(() => ResolverConfiguration.ReadListener(Configuration([]), environment));

        Assert.Contains("RESOLVER_TLS_CERT_FILE", error.Message, StringComparison.Ordinal);
        Assert.False(ResolverConfiguration.ReadListener(Configuration([]), DeploymentEnvironment.Dev).Tls);
    }

    [Fact]
    public void The_retired_allow_list_is_refused_with_the_rewrite_it_needs()
    {
        var error = Assert.Throws<ConfigurationException>(() => ResolverConfiguration.ReadEndpoint(
            Configuration(new() { ["RESOLVER_ALLOWED_SERVICE_ACCOUNTS"] = "system:serviceaccount:billing:api" })));

        Assert.Contains("RESOLVER_CALLERS='system:serviceaccount:billing:api=<tenant-namespace>", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Callers_map_to_namespaces_selectors_or_everything_and_a_caller_without_a_grant_is_refused()
    {
        var options = ResolverConfiguration.ReadEndpoint(Configuration(new()
        {
            ["RESOLVER_CALLERS"] = "system:serviceaccount:a:app=team-a,team-c; system:serviceaccount:b:app=selector:tier=gold;system:serviceaccount:c:ops=*",
        }));
        var placement = new TenantPlacement("team-b", "x", Guid.NewGuid(), new Dictionary<string, string> { ["tier"] = "gold" });

        Assert.False(options.Callers["system:serviceaccount:a:app"].Allows(placement));
        Assert.True(options.Callers["system:serviceaccount:a:app"].Allows(placement with { Namespace = "team-c" }));
        Assert.True(options.Callers["system:serviceaccount:b:app"].Allows(placement));
        Assert.False(options.Callers["system:serviceaccount:b:app"].Allows(placement with { Labels = new Dictionary<string, string>() }));
        Assert.True(options.Callers["system:serviceaccount:c:ops"].Everything);
        Assert.Throws<ConfigurationException>(() => ResolverConfiguration.ReadEndpoint(Configuration(new() { ["RESOLVER_CALLERS"] = "system:serviceaccount:a:app" })));
        Assert.Throws<ConfigurationException>(() => ResolverConfiguration.ReadEndpoint(Configuration(new() { ["RESOLVER_CALLERS"] = "system:serviceaccount:a:app=Bad_NS" })));
    }

    [Theory]
    [InlineData(DeploymentEnvironment.Staging, null, true, "verify-full")]
    [InlineData(DeploymentEnvironment.Staging, "disable", false, null)]
    [InlineData(DeploymentEnvironment.Prod, "prefer", false, null)]
    [InlineData(DeploymentEnvironment.Prod, "require", true, "require")]
    [InlineData(DeploymentEnvironment.Dev, "disable", true, "disable")]
    public void Tenant_servers_default_to_verify_full_outside_dev_and_plaintext_modes_are_dev_only(
        DeploymentEnvironment environment, string? mode, bool accepted, string? effective)
    {
        var server = new TenantDatabaseServerOptions { Host = "db", AdminSecretRef = "k8s:ns/s#k", SslMode = mode };
        var options = new OperatorOptions { LeaderElection = { Enabled = false }, TenantDatabaseServers = { ["default"] = server } };

        var problems = OperatorOptionsLoader.Validate(options, environment);

        Assert.Equal(accepted, problems.Count == 0);
        if (accepted)
        {
            Assert.Equal(effective, server.SslMode);
        }
    }

    [Fact]
    public void The_catalog_url_gets_verify_full_outside_dev_and_plaintext_is_refused()
    {
        var unset = DatabaseTls.ApplyCatalogRules(DatabaseUrl.Parse("postgresql://u@db:5432/platform_admin"), DeploymentEnvironment.Prod);
        var dev = DatabaseTls.ApplyCatalogRules(DatabaseUrl.Parse("postgresql://u@db:5432/platform_admin"), DeploymentEnvironment.Dev);

        Assert.Equal(SslMode.VerifyFull, unset.SslMode);
        Assert.NotEqual(SslMode.VerifyFull, dev.SslMode);
        Assert.Throws<ConfigurationException>(() =>
            DatabaseTls.ApplyCatalogRules(DatabaseUrl.Parse("postgresql://u@db:5432/platform_admin?sslmode=disable"), DeploymentEnvironment.Staging));
    }

    private static IConfiguration Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
