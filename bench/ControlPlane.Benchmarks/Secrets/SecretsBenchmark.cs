using System.Diagnostics;
using System.Globalization;
using ControlPlane.Secrets.Caching;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Vault;
using ControlPlane.Store.Secrets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ControlPlane.Benchmarks.Secrets;

/// <summary>
/// `secrets`: the read cache in front of the Vault KV v2 backend versus the same backend read without it, in one
/// run: hit latency p50/p99 (interleaved calls) and read throughput with one task per core. The uncached side is
/// a loopback HTTP round trip to a stub, so the ratio is a floor: a real Vault over the network is slower still.
/// </summary>
internal sealed class SecretsBenchmark : IBenchmark
{
    private const int Tenants = 1_000;
    private const int Warmup = 2_000;
    private const int Iterations = 10_000;
    private static readonly TimeSpan ThroughputWindow = TimeSpan.FromSeconds(2);

    public string Name => "secrets";

    public string Description => "cached vs uncached secret reads (Vault KV v2 backend over loopback): hit latency and throughput";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using var stub = VaultStub.Start();
        var options = new SecretStoreOptions { Vault = { Address = stub.Address, Token = new("bench-token") } };
        using var client = new VaultClient(new HttpClient(VaultHttpHandler.Create(options.Vault)), options.Vault, TimeProvider.System, NullLogger<VaultClient>.Instance);
        var uncached = new BackendStore(new VaultKvBackend(client, options.Vault));
        using var cached = new CachingSecretStore(uncached, Options.Create(options), TimeProvider.System);
        var references = Enumerable.Range(0, Tenants).Select(i => SecretReference.Parse($"vault:secret/econt/tenants/t{i}#password")).ToArray();

        var latency = await LatencyComparison.MeasureAsync($"read ({Tenants:N0} refs)", Warmup, Iterations,
            async i => _ = await cached.ReadAsync(references[i % Tenants], cancellationToken),
            async i => _ = await uncached.ReadAsync(references[i % Tenants], cancellationToken));

        var cachedRate = await ThroughputAsync(cached.ReadAsync, references, cancellationToken);
        var uncachedRate = await ThroughputAsync(uncached.ReadAsync, references, cancellationToken);

        Console.WriteLine($"{Iterations:N0} calls each, interleaved, after {Warmup:N0} warm-up calls; cache TTL {options.CacheTtl.TotalSeconds:0} s");
        Console.WriteLine(LatencyComparison.Header("cache", "vault"));
        Console.WriteLine(latency.Format(target: 1.0));
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput, {Environment.ProcessorCount} tasks x {ThroughputWindow.TotalSeconds:0} s: cached {cachedRate,12:N0} reads/s   uncached {uncachedRate,10:N0} reads/s   x {cachedRate / uncachedRate:N1}"));

        // The cache must be faster than the round trip it saves; anything else means it is not hitting.
        var met = latency.RatioP50 < 1.0 && cachedRate > uncachedRate;
        Console.WriteLine(met ? "Result: cache hits are cheaper than backend reads." : "Result: the cache is not faster than the backend (see above).");
        return met ? 0 : 1;
    }

    private static async Task<double> ThroughputAsync(
        Func<SecretReference, CancellationToken, Task<ControlPlane.Secrets.SecretValue>> read, SecretReference[] references, CancellationToken cancellationToken)
    {
        long total = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(worker => Task.Run(async () =>
        {
            long count = 0;
            for (var i = worker; clock.Elapsed < ThroughputWindow; i++)
            {
                _ = await read(references[i % references.Length], cancellationToken);
                count++;
            }

            Interlocked.Add(ref total, count);
        }, cancellationToken));
        await Task.WhenAll(workers);
        return total / clock.Elapsed.TotalSeconds;
    }
}
