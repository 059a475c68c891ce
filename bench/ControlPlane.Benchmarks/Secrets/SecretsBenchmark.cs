using System.Globalization;
using System.Text;
using ControlPlane.Core.Secrets;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Aws;
using ControlPlane.Secrets.Caching;
using ControlPlane.Secrets.Cloud;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Gcp;
using ControlPlane.Secrets.KeyVault;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Secrets.Tests.Fakes;
using ControlPlane.Secrets.Vault;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Benchmarks.Secrets;

/// <summary>
/// `secrets`: per backend, against the same in-process fakes the contract suite uses (tests/ControlPlane.Secrets.Tests/Fakes,
/// compiled in), an uncached read and a cached read, each interleaved call by call with the fake's bare HTTP round trip:
/// an unauthenticated request on a kept-alive connection of the same scheme (TLS for Azure) that the fake answers with a
/// small error body. The ratio uncached/bare is what the client adds (signing, tokens, SDK pipeline, JSON, the store's
/// checks) on top of one round trip; cached/bare is what the cache saves. Loopback only, so a real service is slower still.
/// </summary>
internal sealed class SecretsBenchmark : IBenchmark
{
    private const int Secrets = 20;
    private const int Warmup = 50;
    private const int Iterations = 400;

    public string Name => "secrets";

    public string Description => "per backend (vault, k8s, aws, gcp, azure fakes): uncached and cached reads vs the fake's bare HTTP round trip (ratios)";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var rows = new List<(string Backend, LatencyComparison Uncached, LatencyComparison Cached)>();
        foreach (var start in new Func<CancellationToken, Task<Side>>[] { VaultAsync, KubernetesAsync, AwsAsync, GcpAsync, AzureAsync })
        {
            await using var side = await start(cancellationToken);
            var references = Enumerable.Range(0, Secrets).Select(i => side.Reference($"bench-{i}")).ToArray();
            foreach (var reference in references)
            {
                await side.Backend.WriteAsync(reference, new SecretValue($"pw-{Guid.NewGuid():N}"), new SecretOwner("bench"), cancellationToken);
            }

            var uncached = new BackendStore(side.Backend);
            using var cached = new CachingSecretStore(uncached, Options.Create(new SecretStoreOptions()), TimeProvider.System);
            using var bare = new HttpClient(side.Handler ?? new SocketsHttpHandler());
            var bareRequest = side.Bare;

            var uncachedLatency = await LatencyComparison.MeasureAsync($"{side.Name} uncached read", Warmup, Iterations,
                async i => _ = await uncached.ReadAsync(references[i % Secrets], cancellationToken),
                async _ => await RoundTripAsync(bare, bareRequest, cancellationToken));
            var cachedLatency = await LatencyComparison.MeasureAsync($"{side.Name} cached read", Warmup, Iterations,
                async i => _ = await cached.ReadAsync(references[i % Secrets], cancellationToken),
                async _ => await RoundTripAsync(bare, bareRequest, cancellationToken));
            rows.Add((side.Name, uncachedLatency, cachedLatency));
        }

        Console.WriteLine($"{Iterations:N0} calls each, interleaved with the bare round trip, after {Warmup:N0} warm-up calls; {Secrets} secrets per backend; " +
                          $"{Environment.ProcessorCount} cores, loopback");
        Console.WriteLine(LatencyComparison.Header("read", "bare"));
        foreach (var (_, uncachedRow, cachedRow) in rows)
        {
            // "target" column: an uncached read costs at least the round trip (ratio ≥ 1 is expected, so no target);
            // a cached read must cost less than one.
            Console.WriteLine(uncachedRow.Format(LatencyComparison.NoTarget));
            Console.WriteLine(cachedRow.Format(target: 1.0));
        }

        var met = rows.All(row => row.Cached.RatioP50 < 1.0);
        Console.WriteLine(met ? "Result: for every backend a cached read is cheaper than one bare round trip to its service." : "Result: a cache is not faster than the round trip it saves (see above).");
        return met ? 0 : 1;
    }

    private static async Task RoundTripAsync(HttpClient client, Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        using var message = request();
        using var response = await client.SendAsync(message, cancellationToken);
        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    private static async Task<Side> VaultAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeVaultServer.StartAsync(TimeProvider.System, cancellationToken);
        var options = new VaultOptions { Address = fake.Address, Token = new SecretValue(fake.IssueToken(TimeSpan.Zero)) };
        var client = new VaultClient(new HttpClient(VaultHttpHandler.Create(options)), options, TimeProvider.System, NullLogger<VaultClient>.Instance);
        return new Side("vault", new VaultKvBackend(client, options), name => SecretReference.Parse($"vault:secret/econt/tenants/{name}#password"),
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(fake.Address, "/v1/secret/data/bench-bare")), null, async () =>
            {
                client.Dispose();
                await fake.DisposeAsync();
            });
    }

    private static async Task<Side> KubernetesAsync(CancellationToken cancellationToken)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, cancellationToken);
        using (var admin = server.CreateClient())
        {
            await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "econt-tenants" } }, cancellationToken: cancellationToken);
        }

        var client = server.CreateClient();
        return new Side("k8s", new KubernetesSecretBackend(client, new KubernetesSecretOptions(), NullLogger<KubernetesSecretBackend>.Instance),
            name => SecretReference.Parse($"k8s:econt-tenants/{name}#password"),
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(server.BaseUri, "/api/v1/namespaces/econt-tenants/secrets/bench-bare")), null, async () =>
            {
                client.Dispose();
                await server.DisposeAsync();
            });
    }

    private static async Task<Side> AwsAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeAwsServer.StartAsync(cancellationToken);
        var options = new AwsSecretsOptions
        {
            Region = "eu-west-1",
            Endpoint = fake.Address,
            AccessKeyId = FakeAwsServer.AccessKeyId,
            SecretAccessKey = new SecretValue(FakeAwsServer.SecretAccessKey),
        };
        var client = new AwsSecretsManagerClient(new HttpClient(), AwsCredentialsFactory.Create(options), options, TimeProvider.System, NullLogger<AwsSecretsManagerClient>.Instance);
        return new Side("aws", new AwsSecretsManagerBackend(client), name => SecretReference.Parse($"aws:eu-west-1/econt/tenants/{name}#password"),
            () => new HttpRequestMessage(HttpMethod.Post, fake.Address) { Content = new StringContent("{}", Encoding.UTF8, "application/x-amz-json-1.1") }, null, fake.DisposeAsync);
    }

    private static async Task<Side> GcpAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeGcpServer.StartAsync(cancellationToken);
        var keyFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(keyFile, fake.ServiceAccountJson(), cancellationToken);
        var options = new GcpSecretOptions { Project = "econt-prod", Endpoint = fake.Address, CredentialsFile = keyFile, MetadataHost = "metadata.invalid" };
        var client = new GcpSecretManagerClient(new HttpClient(), ct => GcpCredentials.CreateAsync(options, ct), options, TimeProvider.System, NullLogger<GcpSecretManagerClient>.Instance);
        return new Side("gcp", new GcpSecretManagerBackend(client), name => SecretReference.Parse($"gcp:econt-prod/{name}#password"),
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(fake.Address, "v1/projects/econt-prod/secrets/bench-bare/versions/latest:access")), null, async () =>
            {
                await fake.DisposeAsync();
                File.Delete(keyFile);
            });
    }

    private static async Task<Side> AzureAsync(CancellationToken cancellationToken)
    {
        var fake = await FakeAzureServer.StartAsync(cancellationToken);
        var options = new AzureKeyVaultOptions
        {
            VaultUrl = fake.VaultUrl,
            TenantId = FakeAzureServer.TenantId,
            ClientId = FakeAzureServer.ClientId,
            ClientSecret = new SecretValue(FakeAzureServer.ClientSecret),
            AuthorityHost = fake.AuthorityHost,
        };
        var backend = new SerializedSecretBackend(new AzureKeyVaultBackend(
            options, AzureCredentials.Create(options, fake.Transport()), NullLogger<AzureKeyVaultBackend>.Instance, fake.Transport()));
        return new Side("azure", backend, name => SecretReference.Parse($"azure:econt-kv/{name}#password"),
            () => new HttpRequestMessage(HttpMethod.Get, new Uri(options.VaultUri("econt-kv"), "secrets/bench-bare/?api-version=7.6")), fake.Handler(), fake.DisposeAsync);
    }

    /// <summary>One backend under measurement: its fake, a bare request to that fake, and the connection settings the bare client needs (TLS trust).</summary>
    private sealed record Side(
        string Name, ISecretBackend Backend, Func<string, SecretReference> Reference, Func<HttpRequestMessage> Bare, SocketsHttpHandler? Handler, Func<ValueTask> Dispose)
        : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => Dispose();
    }
}
