using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;
using YamlDotNet.Serialization;

namespace ControlPlane.Operator.Tests.Hosting;

/// <summary>
/// A tenant database server's admin secret must be out of every Tenant author's reach: the operator refuses to start,
/// with one line and exit code 2, when an admin secret reference points into a namespace whose Tenants it serves.
/// </summary>
public sealed class AdminSecretPlacementTests
{
    private const string AdminRef = "Operator__TenantDatabaseServers__default__AdminSecretRef";

    [Fact]
    public async Task The_operator_refuses_to_start_when_an_admin_secret_lies_in_a_namespace_it_watches_for_Tenants()
    {
        var outcome = await OperatorProcess.RunAsync(["run", "--port", "0"], new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "staging",
            ["POD_NAMESPACE"] = "econt-system",
            ["POD_NAME"] = "controlplane-0",
            ["WATCH_NAMESPACES"] = "econt-tenants,team-a",
            ["Operator__TenantDatabaseServers__default__Host"] = "postgres.econt-data.svc",
            [AdminRef] = "k8s:econt-tenants/tenant-db-admin#password",
        }, TestContext.Current.CancellationToken);

        Assert.Equal(2, outcome.ExitCode);
        var line = Assert.Single(outcome.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Equal(
            "controlplane failed to start: Operator:TenantDatabaseServers:default:AdminSecretRef points into namespace econt-tenants, where the operator serves Tenants; " +
            "keep admin secrets in the operator's own namespace (econt-system) and out of WATCH_NAMESPACES.",
            line);
    }

    [Theory]
    [InlineData("", "k8s:econt-tenants/admin#password", false)]          // every namespace but the operator's is watched
    [InlineData("", "k8s:econt-system/admin#password", true)]            // the operator's own namespace serves no Tenants
    [InlineData("team-a,team-b", "k8s:team-b/admin#password", false)]
    [InlineData("team-a,team-b", "k8s:econt-tenants/admin#password", true)]
    [InlineData("team-a", "vault:secret/teams/team-a/admin#password", false)]   // below team-a's VAULT_TENANT_PREFIX
    [InlineData("team-a", "vault:secret/teams/team-b/admin#password", true)]    // team-b is not served
    [InlineData("", "vault:secret/teams/econt-system/admin#password", true)]
    [InlineData("", "vault:secret/platform/admin#password", true)]
    [InlineData("", "env:PG_ADMIN_PASSWORD", true)]
    public void An_admin_secret_is_accepted_only_out_of_every_served_namespace(string watched, string adminRef, bool accepted)
    {
        var options = new OperatorOptions
        {
            OperatorNamespace = "econt-system",
            Namespaces = [.. watched.Split(',', StringSplitOptions.RemoveEmptyEntries)],
            TenantDatabaseServers = { ["default"] = new() { Host = "pg", AdminSecretRef = adminRef } },
        };

        var exposed = OperatorOptionsLoader.ExposedAdminSecret(options, VaultTenantPrefix.Parse("secret/teams/{namespace}"));

        Assert.Equal(accepted, exposed is null);
    }

    [Fact]
    public void The_shipped_Deployment_keeps_the_admin_secret_in_the_operators_namespace()
    {
        var deployment = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
            File.ReadAllText(RepositoryFiles.PathOf("config", "manager", "deployment.yaml")));
        var container = (Dictionary<object, object>)((List<object>)Path(deployment, "spec", "template", "spec")["containers"])[0];
        var settings = ((List<object>)container["env"]).Cast<Dictionary<object, object>>()
            .Where(e => e.ContainsKey("value"))
            .ToDictionary(e => ((string)e["name"]).Replace("__", ":", StringComparison.Ordinal), e => (string?)e["value"]);
        var ns = (string)((Dictionary<object, object>)deployment["metadata"])["namespace"];

        // The CA bundle is mounted in the pod; here any existing file stands in for it (only its presence is checked).
        const string rootCertificate = "Operator:TenantDatabaseServers:default:RootCertificate";
        Assert.True(settings.ContainsKey(rootCertificate), "the shipped Deployment verifies the tenant server's certificate");
        settings[rootCertificate] = RepositoryFiles.PathOf("config", "manager", "deployment.yaml");

        var options = OperatorOptionsLoader.Load(
            new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), DeploymentEnvironment.Prod,
            name => name switch { "POD_NAMESPACE" => ns, "POD_NAME" => "controlplane-0", _ => settings.GetValueOrDefault(name) });

        Assert.StartsWith($"k8s:{ns}/", options.TenantDatabaseServers["default"].AdminSecretRef, StringComparison.Ordinal);
    }

    private static Dictionary<object, object> Path(Dictionary<string, object> root, params string[] keys)
    {
        var node = (Dictionary<object, object>)root[keys[0]];
        foreach (var key in keys.Skip(1))
        {
            node = (Dictionary<object, object>)node[key];
        }

        return node;
    }
}
