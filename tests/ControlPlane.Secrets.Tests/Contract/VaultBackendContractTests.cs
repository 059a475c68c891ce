using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Tests.Fakes;
using ControlPlane.Secrets.Vault;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>The contract against the fake Vault (KV v2, token auth): CAS writes, policy denials, rate limit quotas.</summary>
public sealed class VaultBackendContractTests : BackendContract
{
    private readonly List<VaultClient> _clients = [];

    protected override async ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeVaultServer.StartAsync(TimeProvider.System, cancellationToken);
        var token = fake.IssueToken(TimeSpan.Zero);
        return new ContractHarness(Backend(fake, token), (name, key) => SecretReference.Parse($"vault:secret/econt/tenants/{name}#{key}"))
        {
            Second = Backend(fake, token),
            Deny = name => fake.DeniedPaths.Add($"secret/data/econt/tenants/{name}"),
            Throttle = fake.Throttle,
            Versions = reference => fake.CurrentVersion(reference.Location),
            Dispose = async () =>
            {
                _clients.ForEach(client => client.Dispose());
                await fake.DisposeAsync();
            },
        };
    }

    private VaultKvBackend Backend(FakeVaultServer fake, string token)
    {
        var options = new VaultOptions { Address = fake.Address, Token = new SecretValue(token) };
        var client = new VaultClient(new HttpClient(VaultHttpHandler.Create(options)), options, TimeProvider.System, NullLogger<VaultClient>.Instance);
        _clients.Add(client);
        return new VaultKvBackend(client, options);
    }
}
