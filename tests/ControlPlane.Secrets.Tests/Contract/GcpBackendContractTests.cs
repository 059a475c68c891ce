using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Gcp;
using ControlPlane.Secrets.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>The contract against the fake Google Secret Manager, authenticated with a service account key (dev).</summary>
public sealed class GcpBackendContractTests : BackendContract
{
    private string _keyFile = null!;

    protected override async ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeGcpServer.StartAsync(cancellationToken);
        _keyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_keyFile, fake.ServiceAccountJson(), cancellationToken);
        return new ContractHarness(Backend(fake, _keyFile), (name, key) => SecretReference.Parse($"gcp:econt-prod/{name}#{key}"))
        {
            Second = Backend(fake, _keyFile),
            Deny = fake.Deny,
            Throttle = fake.Throttle,
            Versions = reference => fake.VersionCount(reference.Container, reference.Name),
            PutForeign = (reference, json) => fake.PutForeign(reference.Container, reference.Name, json),
            Dispose = async () =>
            {
                await fake.DisposeAsync();
                File.Delete(_keyFile);
            },
        };
    }

    internal static GcpSecretManagerBackend Backend(FakeGcpServer fake, string? credentialsFile, string? metadataHost = null)
    {
        var options = new GcpSecretOptions
        {
            Project = "econt-prod",
            Endpoint = fake.Address,
            CredentialsFile = credentialsFile,
            MetadataHost = metadataHost ?? "metadata.invalid",
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        };
        var client = new GcpSecretManagerClient(new HttpClient(), ct => GcpCredentials.CreateAsync(options, ct), options, TimeProvider.System, NullLogger<GcpSecretManagerClient>.Instance);
        return new GcpSecretManagerBackend(client);
    }
}
