using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;

namespace ControlPlane.Operator.Tests.Hosting;

public sealed class OperatorOptionsTests
{
    private static OperatorOptions Load(Dictionary<string, string?> settings, DeploymentEnvironment environment = DeploymentEnvironment.Dev,
        Dictionary<string, string>? variables = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        variables ??= new() { ["POD_NAMESPACE"] = "econt-system", ["POD_NAME"] = "controlplane-0" };
        return OperatorOptionsLoader.Load(configuration, environment, name => variables.GetValueOrDefault(name));
    }

    [Fact]
    public void Settings_and_downward_API_variables_are_bound()
    {
        var options = Load(
            new()
            {
                ["Operator:MaxConcurrentReconciles"] = "8",
                ["Operator:LeaderElection:LeaseDuration"] = "00:00:30",
                ["Operator:TenantDatabaseServers:default:Host"] = "pg.econt.internal",
                ["Operator:TenantDatabaseServers:default:AdminSecretRef"] = "k8s:econt-system/pg-admin#password",
            },
            variables: new() { ["POD_NAMESPACE"] = "econt-system", ["POD_NAME"] = "controlplane-0", ["WATCH_NAMESPACES"] = "tenants-a, tenants-b" });

        Assert.Equal(8, options.MaxConcurrentReconciles);
        Assert.Equal(TimeSpan.FromSeconds(30), options.LeaderElection.LeaseDuration);
        Assert.Equal(["tenants-a", "tenants-b"], options.Namespaces);
        Assert.Equal(("econt-system", "controlplane-0"), (options.LeaderElection.LeaseNamespace, options.LeaderElection.Identity));
        Assert.Equal(5432, options.TenantDatabaseServers["default"].Port);
    }

    [Fact]
    public void Every_invalid_setting_is_reported_at_once_in_one_clear_message()
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(
            new()
            {
                ["Operator:MaxConcurrentReconciles"] = "0",
                ["Operator:Namespaces:0"] = "Bad_Namespace",
                ["Operator:LeaderElection:RenewDeadline"] = "00:00:20",
                ["Operator:TenantDatabaseServers:default:Host"] = "",
                ["Operator:TenantDatabaseServers:default:AdminSecretRef"] = "postgres://admin:hunter2@pg",  // secretlint-disable-line
            },
            DeploymentEnvironment.Staging,
            variables: []));

        Assert.Contains("MaxConcurrentReconciles must be between 1 and 64 (got 0)", error.Message, StringComparison.Ordinal);
        Assert.Contains("'Bad_Namespace' is not a valid namespace name", error.Message, StringComparison.Ordinal);
        Assert.Contains("LeaseNamespace is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("LeaseDuration > RenewDeadline > RetryPeriod", error.Message, StringComparison.Ordinal);
        Assert.Contains("TenantDatabaseServers:default:Host is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("TenantDatabaseServers:default:AdminSecretRef: A secret reference must not contain", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("00:00:05", "CatalogHealthPeriod must be between 10 seconds and 1 hour")]
    [InlineData("02:00:00", "CatalogHealthPeriod must be between 10 seconds and 1 hour")]
    public void A_catalog_health_period_outside_its_bounds_is_refused(string period, string message)
    {
        var error = Assert.Throws<ConfigurationException>(() => Load(new() { ["Operator:CatalogHealthPeriod"] = period }));

        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(1), Load([]).CatalogHealthPeriod);
        Assert.Equal(TimeSpan.FromSeconds(30), Load(new() { ["Operator:CatalogHealthPeriod"] = "00:00:30" }).CatalogHealthPeriod);
    }

    [Theory]
    [InlineData(null, 4)]
    [InlineData("1", 1)]
    [InlineData("64", 64)]
    [InlineData("0", null)]
    [InlineData("65", null)]
    public void A_servers_operation_limit_defaults_to_4_and_must_be_between_1_and_64(string? setting, int? bound)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Operator:TenantDatabaseServers:pg-a:Host"] = "pg-a.econt.internal",
            ["Operator:TenantDatabaseServers:pg-a:AdminSecretRef"] = "k8s:econt-system/pg-admin#password",
        };
        if (setting is not null)
        {
            settings["Operator:TenantDatabaseServers:pg-a:MaxConcurrentOperations"] = setting;
        }

        if (bound is { } limit)
        {
            Assert.Equal(limit, Load(settings).TenantDatabaseServers["pg-a"].MaxConcurrentOperations);
            return;
        }

        var error = Assert.Throws<ConfigurationException>(() => Load(settings));
        Assert.Contains($"TenantDatabaseServers:pg-a:MaxConcurrentOperations must be between 1 and 64 (got {setting})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void In_dev_without_a_pod_namespace_leader_election_is_off_and_elsewhere_its_absence_is_an_error()
    {
        var dev = Load([], DeploymentEnvironment.Dev, variables: []);
        var prod = Assert.Throws<ConfigurationException>(() => Load([], DeploymentEnvironment.Prod, variables: []));
        var devExplicit = Assert.Throws<ConfigurationException>(() => Load(new() { ["Operator:LeaderElection:Enabled"] = "true" }, DeploymentEnvironment.Dev, variables: []));

        Assert.False(dev.LeaderElection.Enabled);
        Assert.Contains("LeaseNamespace is required", prod.Message, StringComparison.Ordinal);
        Assert.Contains("LeaseNamespace is required", devExplicit.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DeploymentEnvironment.Dev, true)]
    [InlineData(DeploymentEnvironment.Staging, false)]
    [InlineData(DeploymentEnvironment.Prod, false)]
    public void Dev_only_secret_backends_are_refused_outside_dev(DeploymentEnvironment environment, bool accepted)
    {
        var options = new OperatorOptions
        {
            LeaderElection = { Enabled = false },
            TenantDatabaseServers = { ["default"] = new() { Host = "localhost", AdminSecretRef = "env:PG_ADMIN_PASSWORD" } },
        };

        var problems = OperatorOptionsLoader.Validate(options, environment);

        Assert.Equal(accepted, problems.Count == 0);
    }
}
