using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Aws;
using ControlPlane.Secrets.Tests.Fakes;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>The contract against the fake AWS Secrets Manager, with static keys (dev) and SigV4 verified by the fake.</summary>
public sealed class AwsBackendContractTests : BackendContract
{
    protected override async ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeAwsServer.StartAsync(cancellationToken);
        return new ContractHarness(Backend(fake), (name, key) => SecretReference.Parse($"aws:eu-west-1/econt/tenants/{name}#{key}"))
        {
            Second = Backend(fake),
            Deny = name => fake.Deny("econt/tenants/" + name),
            Throttle = fake.Throttle,
            Versions = reference => fake.VersionCount(reference.Container, reference.Name),
            PutForeign = (reference, json) => fake.PutForeign(reference.Container, reference.Name, json),
            Dispose = fake.DisposeAsync,
        };
    }

    internal static AwsSecretsManagerBackend Backend(FakeAwsServer fake, AwsSecretsOptions? options = null)
    {
        options ??= new AwsSecretsOptions
        {
            Region = "eu-west-1",
            Endpoint = fake.Address,
            AccessKeyId = FakeAwsServer.AccessKeyId,
            SecretAccessKey = new SecretValue(FakeAwsServer.SecretAccessKey),
            RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        };
        var client = new AwsSecretsManagerClient(new HttpClient(), AwsCredentialsFactory.Create(options), options, TimeProvider.System, NullLogger<AwsSecretsManagerClient>.Instance);
        return new AwsSecretsManagerBackend(client);
    }
}
