using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Cloud;
using ControlPlane.Secrets.KeyVault;
using ControlPlane.Secrets.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>
/// The contract against the fake Azure Key Vault over TLS, with a client secret (dev) exchanged at the fake Entra ID
/// and the SDK's challenge-based authentication. No second process: Key Vault has no create-if-absent (ADR-CP-009).
/// </summary>
public sealed class AzureBackendContractTests : BackendContract
{
    protected override async ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeAzureServer.StartAsync(cancellationToken);
        return new ContractHarness(Backend(fake), (name, key) => SecretReference.Parse($"azure:econt-kv/{name}#{key}"))
        {
            NoSecondProcess = "Key Vault has no create-if-absent or compare-and-set on secrets; ensure-generated is serialized within one operator process only (ADR-CP-009).",
            Deny = fake.Deny,
            Throttle = fake.Throttle,
            Versions = reference => fake.VersionCount(reference.Container, reference.Name),
            PutForeign = (reference, json) => fake.PutForeign(reference.Container, reference.Name, json),
            Dispose = fake.DisposeAsync,
        };
    }

    internal static AzureKeyVaultOptions Options(FakeAzureServer fake) => new()
    {
        Vault = "econt-kv",
        VaultUrl = fake.VaultUrl,
        TenantId = FakeAzureServer.TenantId,
        ClientId = FakeAzureServer.ClientId,
        ClientSecret = new SecretValue(FakeAzureServer.ClientSecret),
        AuthorityHost = fake.AuthorityHost,
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
    };

    internal static ISecretBackend Backend(FakeAzureServer fake, AzureKeyVaultOptions? options = null)
    {
        options ??= Options(fake);
        return new SerializedSecretBackend(new AzureKeyVaultBackend(
            options, AzureCredentials.Create(options, fake.Transport()), NullLogger<AzureKeyVaultBackend>.Instance, fake.Transport()));
    }
}
