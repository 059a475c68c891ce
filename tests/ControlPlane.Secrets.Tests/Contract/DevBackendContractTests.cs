using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Dev;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>The contract against the in-memory mock backend (dev only): no permissions, no throttling, no versions.</summary>
public sealed class MockBackendContractTests : BackendContract
{
    protected override ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(new ContractHarness(new MockSecretBackend(), (name, _) => SecretReference.Parse($"mock:{name}"))
        {
            NoSecondProcess = "mock secrets live in one process's memory; another process has its own.",
        });
}
