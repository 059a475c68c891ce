using System.Text;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Secrets.Tests.Fakes;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// The confused deputy on <c>spec.credentials.secretRef</c> (issue 12, breach 2): a Tenant author may point the operator
/// only at a Secret of the Tenant's own namespace that grants it, or at a Vault path under its namespace's prefix. Every
/// other target is refused as InvalidSpec before a finalizer, catalog row, Secret, role or database exists, and the
/// refusal reads the same whether the target exists or not.
/// </summary>
public sealed class SecretConfinementTests(PostgresFixture postgres)
{
    private const string OtherNamespace = "team-b";
    private const string VaultTenantPrefix = "secret/teams/{namespace}";
    private const string StolenPassword = "the-victims-password-0123456789";

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public static TheoryData<string> Attacks => new()
    {
        "ungranted-secret-of-the-same-namespace",
        "another-tenants-generated-secret-even-if-annotated",
        "a-granted-secret-in-another-namespace",
        "the-server-admin-secret",
        "vault-path-outside-the-namespace-prefix",
        "another-tenants-generated-vault-secret",
    };

    [Theory]
    [MemberData(nameof(Attacks))]
    public async Task A_secretRef_the_Tenant_is_not_granted_is_refused_before_any_side_effect_with_one_message_for_existing_and_missing_targets(string attack)
    {
        await using var vault = await FakeVaultServer.StartAsync(TimeProvider.System, _ct);
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = OtherNamespace } }, cancellationToken: _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var settings = VaultSettings(vault);
        cluster.StartOperator(secretSettings: settings);
        var (ns, existing, missing) = await PrepareAsync(attack, cluster, world, vault, settings);

        await cluster.CreateTenantAsync("mallory", s => s.Credentials = new TenantCredentials { SecretRef = existing }, _ct, ns);
        await cluster.CreateTenantAsync("mallet", s => s.Credentials = new TenantCredentials { SecretRef = missing }, _ct, ns);
        var onExisting = await SettledAsync(cluster, "mallory", ns);
        var onMissing = await SettledAsync(cluster, "mallet", ns);

        Assert.Equal((TenantReadyReason.InvalidSpec.ToWire(), "False"), (onExisting.Reason, onExisting.Status));
        Assert.Equal(TenantReadyReason.InvalidSpec.ToWire(), onMissing.Reason);
        Assert.Equal(onExisting.Message, onMissing.Message);
        Assert.DoesNotContain(StolenPassword, onExisting.Message, StringComparison.Ordinal);
        foreach (var name in (string[])["mallory", "mallet"])
        {
            Assert.Empty(await world.CatalogRowsAsync(name));
            Assert.False((await world.RoleAsync(cluster.DatabaseNameFor(name))).Exists, $"{attack}: role of {name} exists");
            Assert.False(await world.DatabaseExistsAsync(cluster.DatabaseNameFor(name)), $"{attack}: database of {name} exists");
            Assert.Null(await world.GeneratedPasswordAsync(name));
            Assert.DoesNotContain(Tenant.Finalizer, (await cluster.GetTenantAsync(name, _ct, ns))!.Metadata.Finalizers ?? []);
        }
    }

    [Fact]
    public async Task A_Secret_of_the_Tenants_namespace_that_grants_it_provisions_the_tenant_with_that_password()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        cluster.StartOperator();
        const string password = "acme-chose-this-password-42";
        await CreateSecretAsync(cluster, OperatorTestCluster.TenantNamespace, "acme-credentials", password, grantedTo: "globex, acme");

        await cluster.CreateTenantAsync("acme", s => s.Credentials = new TenantCredentials
        {
            SecretRef = $"k8s:{OperatorTestCluster.TenantNamespace}/acme-credentials#password",
        }, _ct);
        var tenant = await world.WaitForAsync("acme", OperatorTestCluster.IsConverged, "Active", 120);

        Assert.Equal($"k8s:{OperatorTestCluster.TenantNamespace}/acme-credentials#password", tenant.Status.SecretRef);
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(cluster.DatabaseNameFor("acme"), password, "SELECT 1"));
        Assert.Null(await world.GeneratedPasswordAsync("acme"));
    }

    /// <summary>Creates the attack's targets; returns the attacker's namespace and the references to an existing and a missing target.</summary>
    private async Task<(string Namespace, string Existing, string Missing)> PrepareAsync(
        string attack, OperatorTestCluster cluster, LifecycleWorld world, FakeVaultServer vault, IReadOnlyDictionary<string, string?> settings)
    {
        const string tenants = OperatorTestCluster.TenantNamespace;
        switch (attack)
        {
            case "ungranted-secret-of-the-same-namespace":
                await CreateSecretAsync(cluster, tenants, "plain-db", StolenPassword, grantedTo: null);
                return (tenants, $"k8s:{tenants}/plain-db#password", $"k8s:{tenants}/absent-db#password");

            case "another-tenants-generated-secret-even-if-annotated":
                // The victim's generated Secret lives where the shipped manifests keep generated Secrets and Tenants alike.
                await cluster.CreateTenantAsync("victim", cancellationToken: _ct);
                await world.WaitForAsync("victim", OperatorTestCluster.IsConverged, "Active", 120);
                var generated = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("tenant-victim-db", OperatorTestCluster.SecretNamespace, cancellationToken: _ct);
                generated.Metadata.Annotations = new Dictionary<string, string> { [KubernetesSecretLabels.GrantedToTenantsKey] = "mallory,mallet" };
                await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(generated, generated.Metadata.Name, OperatorTestCluster.SecretNamespace, cancellationToken: _ct);
                return (OperatorTestCluster.SecretNamespace,
                    $"k8s:{OperatorTestCluster.SecretNamespace}/tenant-victim-db#password",
                    $"k8s:{OperatorTestCluster.SecretNamespace}/tenant-nobody-db#password");

            case "a-granted-secret-in-another-namespace":
                await CreateSecretAsync(cluster, OtherNamespace, "shared-db", StolenPassword, grantedTo: "mallory,mallet");
                return (tenants, $"k8s:{OtherNamespace}/shared-db#password", $"k8s:{OtherNamespace}/absent-db#password");

            case "the-server-admin-secret":
                return (tenants,
                    $"k8s:{OperatorTestCluster.OperatorNamespace}/{OperatorTestCluster.AdminSecretName}#password",
                    $"k8s:{OperatorTestCluster.OperatorNamespace}/absent-admin#password");

            case "vault-path-outside-the-namespace-prefix":
                await WriteVaultAsync(settings, "vault:secret/platform/billing#password");
                return (tenants, "vault:secret/platform/billing#password", "vault:secret/platform/absent#password");

            case "another-tenants-generated-vault-secret":
                // Where SECRET_MANAGER_BACKEND=vault generates passwords (VAULT_KV_MOUNT/VAULT_PATH_PREFIX/<slug>).
                await WriteVaultAsync(settings, "vault:secret/econt/tenants/victim#password");
                Assert.NotNull(vault.LatestData("secret/econt/tenants/victim"));
                return (tenants, "vault:secret/econt/tenants/victim#password", "vault:secret/econt/tenants/nobody#password");

            default:
                throw new ArgumentOutOfRangeException(nameof(attack), attack, null);
        }
    }

    private static Dictionary<string, string?> VaultSettings(FakeVaultServer vault) => new()
    {
        ["SECRET_MANAGER_ENDPOINT"] = vault.Address.ToString(),
        ["VAULT_TOKEN"] = vault.IssueToken(TimeSpan.Zero),
        ["VAULT_TENANT_PREFIX"] = VaultTenantPrefix,
    };

    /// <summary>Writes the stolen password through the real Vault backend, as whoever owns that path would.</summary>
    private async Task WriteVaultAsync(IReadOnlyDictionary<string, string?> settings, string reference)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>(settings) { ["ENVIRONMENT"] = "dev", ["SECRET_MANAGER_BACKEND"] = "vault" }).Build();
        await using var services = new ServiceCollection()
            .AddSingleton<ILoggerFactory>(NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddSecretStores(configuration)
            .BuildServiceProvider();
        await services.GetRequiredService<ISecretStore>().WriteAsync(SecretReference.Parse(reference), new SecretValue(StolenPassword), new SecretOwner("platform"), _ct);
    }

    private async Task CreateSecretAsync(OperatorTestCluster cluster, string ns, string name, string password, string? grantedTo) =>
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret
            {
                Metadata = new V1ObjectMeta
                {
                    Name = name,
                    Annotations = grantedTo is null ? null : new Dictionary<string, string> { [KubernetesSecretLabels.GrantedToTenantsKey] = grantedTo },
                },
                Data = new Dictionary<string, byte[]> { ["password"] = Encoding.UTF8.GetBytes(password) },
            },
            ns, cancellationToken: _ct);

    /// <summary>The Ready condition once the operator has decided (refused, blocked or provisioned), not while it provisions.</summary>
    private async Task<V1Condition> SettledAsync(OperatorTestCluster cluster, string name, string ns)
    {
        V1Condition? ready = null;
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await cluster.GetTenantAsync(name, _ct, ns)) is { } t
                        && t.Status.ObservedGeneration == t.Metadata.Generation
                        && (ready = LifecycleWorld.Ready(t)) is { } settled && settled.Reason != TenantReadyReason.Provisioning.ToWire(),
            TimeSpan.FromSeconds(120), $"{ns}/{name} settled", _ct);
        return ready!;
    }
}
