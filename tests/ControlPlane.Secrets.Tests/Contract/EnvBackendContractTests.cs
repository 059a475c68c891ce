using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Dev;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>The contract against the env backend (dev only): read-only, so only the cases that do not write apply.</summary>
public sealed class EnvBackendContractTests : BackendContract
{
    protected override ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ContractHarness(
            new EnvSecretBackend(),
            (name, _) => SecretReference.Parse($"env:{name.ToUpperInvariant().Replace('-', '_')}"))
        {
            ReadOnly = "env is read-only by design (a process cannot durably change its environment); writes are refused.",
        });
}
