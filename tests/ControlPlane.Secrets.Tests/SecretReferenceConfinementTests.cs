using System.Text;
using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Confinement;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Secrets.Tests.Fakes;
using ControlPlane.Store.Connection;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>
/// The confinement rules of each reference kind, through the production registration against the in-process API server:
/// which references a Tenant (namespace, name) may have the operator read, and that a refusal never depends on what exists.
/// </summary>
public sealed class SecretReferenceConfinementTests : IAsyncLifetime
{
    private const string Tenants = "econt-tenants";
    private const string TeamA = "team-a";
    private static readonly SecretRequester Acme = new(TeamA, "acme");
    private static readonly SecretReference Admin = SecretReference.Parse("k8s:team-a/pg-admin#password");
    private KubeApiServer _server = null!;
    private SecretStoreHost _host = null!;
    private SecretReferenceConfinement _confinement = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, Ct);
        using var client = _server.CreateClient();
        foreach (var ns in new[] { Tenants, TeamA, "team-b" })
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: Ct);
        }

        _host = SecretStoreHost.Create(
            new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "dev",
                ["SECRET_MANAGER_BACKEND"] = "k8s",
                ["SECRET_KUBERNETES_NAMESPACE"] = Tenants,
                ["SECRET_MANAGER_ENDPOINT"] = "http://127.0.0.1:1",
                ["VAULT_TOKEN"] = "unused",
                ["VAULT_TENANT_PREFIX"] = "secret/teams/{namespace}",
            },
            configure: services => services.AddSingleton<IKubernetes>(_server.CreateClient()));
        _confinement = new SecretReferenceConfinement(
            _host.Services.GetServices<ISecretReferencePolicy>(), _host.Services.GetRequiredService<SecretReferencePlanner>(), [Admin]);
        await SecretAsync(TeamA, "granted", new() { [KubernetesSecretLabels.GrantedToTenantsKey] = "globex , acme" });
        await SecretAsync(TeamA, "granted-to-others", new() { [KubernetesSecretLabels.GrantedToTenantsKey] = "globex,acme-2" });
        await SecretAsync(TeamA, "plain", null);
        await SecretAsync(TeamA, "pg-admin", new() { [KubernetesSecretLabels.GrantedToTenantsKey] = "acme" });
        await SecretAsync(TeamA, "made-by-operator", new() { [KubernetesSecretLabels.GrantedToTenantsKey] = "acme" }, generated: true);
        await SecretAsync("team-b", "granted", new() { [KubernetesSecretLabels.GrantedToTenantsKey] = "acme" });
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Theory]
    [InlineData("k8s:team-a/granted#password", true)]
    [InlineData("k8s:team-a/granted#any-key", true)]                    // the grant is per Secret; a missing key fails the read later
    [InlineData("k8s:team-a/granted-to-others#password", false)]        // names are matched whole
    [InlineData("k8s:team-a/plain#password", false)]
    [InlineData("k8s:team-a/missing#password", false)]
    [InlineData("k8s:team-a/pg-admin#password", false)]                 // an admin secret, even annotated
    [InlineData("k8s:team-a/pg-admin#other", false)]
    [InlineData("k8s:team-a/made-by-operator#password", false)]         // generated, even annotated
    [InlineData("k8s:team-b/granted#password", false)]                  // another namespace, even granted
    [InlineData("k8s:econt-tenants/tenant-globex-db#password", false)]  // the generated shape, existing or not
    [InlineData("vault:secret/teams/team-a/acme#password", true)]
    [InlineData("vault:secret/teams/team-a/deep/acme#password", true)]
    [InlineData("vault:secret/teams/team-a#password", false)]           // the prefix itself is not below it
    [InlineData("vault:secret/teams/team-b/acme#password", false)]
    [InlineData("vault:secret/teams/team-ab/acme#password", false)]
    [InlineData("vault:secret/econt/tenants/globex#password", false)]   // generated Vault passwords
    [InlineData("vault:other/teams/team-a/acme#password", false)]
    [InlineData("env:TENANT_ACME_SECRET", false)]                       // dev-only kinds are the operator's own
    [InlineData("mock:acme", false)]
    public async Task A_Tenant_may_use_only_references_granted_to_it(string reference, bool allowed)
    {
        var verdict = await _confinement.CheckAsync(SecretReference.Parse(reference), Acme, Ct);

        Assert.Equal(allowed, verdict.IsAllowed);
    }

    [Fact]
    public async Task Every_refusal_of_a_kind_reads_the_same_whatever_exists()
    {
        string[] refused =
        [
            "k8s:team-a/plain#password", "k8s:team-a/missing#password", "k8s:team-a/pg-admin#password",
            "k8s:team-a/made-by-operator#password", "k8s:team-b/granted#password", "k8s:team-b/missing#password",
        ];

        var messages = new HashSet<string?>();
        foreach (var reference in refused)
        {
            messages.Add((await _confinement.CheckAsync(SecretReference.Parse(reference), Acme, Ct)).Refusal);
        }

        Assert.Equal(
            "a k8s: reference must name a Secret in the Tenant's own namespace (team-a) that lists this Tenant in its annotation " +
            "controlplane.econt.io/granted-to-tenants and that the operator did not generate; this one is not usable by this Tenant (docs/secrets.md).",
            Assert.Single(messages));
    }

    [Fact]
    public async Task A_reference_into_another_namespace_is_refused_without_asking_the_API_server()
    {
        await _confinement.CheckAsync(SecretReference.Parse("k8s:team-b/granted#password"), Acme, Ct);

        Assert.Equal(0, _server.CountRequests("get", "/api/v1/namespaces/team-b/secrets/*"));
    }

    [Fact]
    public async Task An_operator_forbidden_to_read_the_namespace_refuses_like_a_missing_Secret_and_an_outage_is_transient()
    {
        var missing = await _confinement.CheckAsync(SecretReference.Parse("k8s:team-a/missing#password"), Acme, Ct);
        _server.FailNext("get", "/api/v1/namespaces/team-a/secrets/granted", 403);
        var forbidden = await _confinement.CheckAsync(SecretReference.Parse("k8s:team-a/granted#password"), Acme, Ct);
        _server.FailNext("get", "/api/v1/namespaces/team-a/secrets/granted", 503);
        var outage = await Assert.ThrowsAsync<SecretStoreException>(() => _confinement.CheckAsync(SecretReference.Parse("k8s:team-a/granted#password"), Acme, Ct));

        Assert.Equal(missing.Refusal, forbidden.Refusal);
        Assert.True(outage.IsTransient);
    }

    [Theory]
    [InlineData("secret/teams/{namespace}", "secret/econt/tenants", false)]
    [InlineData("secret/econt/{namespace}", "secret/econt/tenants", true)]   // namespace "tenants" would reach generated passwords
    [InlineData("secret/{namespace}/db", "secret/econt/tenants", false)]
    [InlineData("secret/econt/tenants/{namespace}", "secret/econt/tenants", true)]
    [InlineData("{namespace}/db", "secret/econt/tenants", false)]
    public void A_tenant_prefix_that_could_reach_generated_passwords_stops_the_start(string prefix, string generated, bool refused)
    {
        var options = new SecretStoreOptions
        {
            Environment = DeploymentEnvironment.Dev,
            Vault = { TenantPrefix = VaultTenantPrefix.Parse(prefix), Mount = generated.Split('/')[0], PathPrefix = generated[(generated.IndexOf('/', StringComparison.Ordinal) + 1)..] },
        };

        Assert.Equal(refused, SecretStoreOptionsValidator.Failures(options).Any(f => f.StartsWith("VAULT_TENANT_PREFIX", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("secret/teams")]
    [InlineData("secret/{namespace}/{namespace}")]
    [InlineData("secret/team-{namespace}")]
    [InlineData("secret/../{namespace}")]
    public void A_tenant_prefix_without_exactly_one_whole_namespace_segment_is_refused(string prefix) =>
        Assert.Throws<ConfigurationException>(() => VaultTenantPrefix.Parse(prefix));

    [Theory]
    [InlineData("k8s:econt-tenants/tenant-acme-db#password", true)]
    [InlineData("k8s:econt-tenants/tenant-acme-db#other", true)]
    [InlineData("k8s:team-a/tenant-acme-db#password", false)]
    [InlineData("k8s:econt-tenants/acme-db#password", false)]
    [InlineData("vault:secret/econt/tenants/acme#password", true)]
    [InlineData("vault:secret/econt/tenants-x/acme#password", false)]
    [InlineData("env:TENANT_ACME_DB_PASSWORD", true)]
    [InlineData("mock:tenant-acme-db", true)]
    [InlineData("mock:acme", false)]
    public void The_planner_knows_every_generated_reference_by_its_shape(string reference, bool generated)
    {
        var planner = new SecretReferencePlanner(Options.Create(new SecretStoreOptions { Kubernetes = { Namespace = Tenants } }));

        Assert.Equal(generated, planner.IsGenerated(SecretReference.Parse(reference)));
    }

    private async Task SecretAsync(string ns, string name, Dictionary<string, string>? annotations, bool generated = false)
    {
        using var client = _server.CreateClient();
        await client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    Annotations = annotations,
                    Labels = generated ? new Dictionary<string, string> { [KubernetesSecretLabels.ManagedByKey] = KubernetesSecretLabels.ManagedBy } : null,
                },
                Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes("some-password-0123456789") },
            },
            ns, cancellationToken: Ct);
    }
}
