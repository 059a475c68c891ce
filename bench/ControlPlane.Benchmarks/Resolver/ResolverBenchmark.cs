using System.Diagnostics;
using System.Globalization;
using ControlPlane.Benchmarks.Catalog;
using ControlPlane.Benchmarks.Secrets;
using ControlPlane.Client;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Dev;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Benchmarks.Resolver;

/// <summary>
/// `resolver`: the tenant connection resolver in one run. Cached path: resolves per second and p50/p99 per call on
/// one thread (listener up, every slug warm; targets ≥ 200,000/s and p99 &lt; 50 µs). Uncached path: a resolve with
/// the cache off against the bare catalog statement (the same SQL through Npgsql) plus the secret read issued directly,
/// interleaved (target ratio ≤ 1.2 at p50). The secret backend is the in-memory mock, so the ratio measures the
/// resolver's own overhead over the catalog round trip, not a secret manager's latency. Then the HTTPS endpoint against
/// the library call and the TLS handshake's cost (<see cref="HttpsResolverMeasurement"/>).
/// </summary>
internal sealed class ResolverBenchmark : IBenchmark
{
    private const int Tenants = 1_000;
    private const int HttpsSlugs = 100;
    private const int CachedCalls = 2_000_000;
    private const int Warmup = 1_000;
    private const int Iterations = 10_000;
    private const double RatioTarget = 1.2;
    private const double ThroughputTarget = 200_000;
    private const double P99TargetMicroseconds = 50;

    public string Name => "resolver";

    public string Description => "cached resolves/s and p50/p99 on one thread; uncached resolve vs bare catalog query + secret read (ratio); HTTPS vs library call, TLS handshake cost";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("bench_resolver", cancellationToken);
        Console.WriteLine($"Database {database.Name} on {database.Where}");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);
        await CatalogMigrator.MigrateAsync(dataSource, Path.Combine(AppContext.BaseDirectory, "sql", "control_plane"), _ => { }, cancellationToken);
        var backend = new MockSecretBackend();
        var secrets = new BackendStore(backend);
        var slugs = await SeedAsync(dataSource, secrets, cancellationToken);

        var (rate, p50, p99) = await CachedAsync(dataSource, secrets, slugs, cancellationToken);
        var uncached = await UncachedAsync(dataSource, secrets, slugs, cancellationToken);

        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cached, 1 thread, {CachedCalls:N0} calls over {Tenants:N0} slugs: {rate,12:N0} resolves/s   p50 {p50:F2} µs   p99 {p99:F2} µs   " +
            $"(targets ≥ {ThroughputTarget:N0}/s, p99 < {P99TargetMicroseconds} µs)"));
        Console.WriteLine();
        Console.WriteLine($"uncached: {Iterations:N0} calls each, interleaved, after {Warmup:N0} warm-up calls; target ratio ≤ {RatioTarget} at p50");
        Console.WriteLine(LatencyComparison.Header("resolve", "direct"));
        Console.WriteLine(uncached.Format(RatioTarget));

        await HttpsResolverMeasurement.RunAsync(dataSource, secrets, slugs[..HttpsSlugs], cancellationToken);

        var met = rate >= ThroughputTarget && p99 < P99TargetMicroseconds && uncached.RatioP50 <= RatioTarget;
        Console.WriteLine(met ? "Result: within every target." : "Result: a target was missed (see above).");
        return met ? 0 : 1;
    }

    private static async Task<string[]> SeedAsync(NpgsqlDataSource dataSource, ISecretStore secrets, CancellationToken cancellationToken)
    {
        await using (var seed = dataSource.CreateCommand("""
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, status)
            SELECT 'tenant-' || i, 'Tenant ' || i, 'tenant_' || i, 'db.internal', 'app_' || i, 'mock:tenant-' || i, 'active'
              FROM generate_series(1, $1) AS i
            """))
        {
            seed.Parameters.Add(new NpgsqlParameter { Value = Tenants });
            await seed.ExecuteNonQueryAsync(cancellationToken);
        }

        var slugs = Enumerable.Range(1, Tenants).Select(i => $"tenant-{i}").ToArray();
        foreach (var slug in slugs)
        {
            await secrets.WriteAsync(SecretReference.Parse($"mock:{slug}"), new SecretValue($"pw-{slug}-{Guid.NewGuid():N}"), new SecretOwner(slug), cancellationToken);
        }

        return slugs;
    }

    private static async Task<(double Rate, double P50, double P99)> CachedAsync(
        NpgsqlDataSource dataSource, ISecretStore secrets, string[] slugs, CancellationToken cancellationToken)
    {
        await using var resolver = new TenantConnectionResolver(dataSource, secrets,
            new TenantConnectionResolverOptions { CacheTtl = TimeSpan.FromMinutes(5) }, TimeProvider.System, NullLogger<TenantConnectionResolver>.Instance);
        await resolver.StartAsync(cancellationToken);
        if (!resolver.IsListening)
        {
            throw new InvalidOperationException("The change listener did not subscribe; cached results would never be served.");
        }

        foreach (var slug in slugs)
        {
            if (await resolver.ResolveAsync(slug, cancellationToken) is not ResolveResult.Resolved)
            {
                throw new InvalidOperationException($"{slug} did not resolve.");
            }
        }

        // Throughput: a tight loop on this thread; every call is a hit and completes synchronously.
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < CachedCalls; i++)
        {
            _ = await resolver.ResolveAsync(slugs[i % slugs.Length], cancellationToken);
        }

        var rate = CachedCalls / clock.Elapsed.TotalSeconds;

        // Latency: each call timed on its own.
        var times = new double[CachedCalls / 4];
        for (var i = 0; i < times.Length; i++)
        {
            var start = Stopwatch.GetTimestamp();
            _ = await resolver.ResolveAsync(slugs[i % slugs.Length], cancellationToken);
            times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        Array.Sort(times);
        return (rate, times[times.Length / 2], times[(int)(times.Length * 0.99)]);
    }

    private static async Task<LatencyComparison> UncachedAsync(NpgsqlDataSource dataSource, ISecretStore secrets, string[] slugs, CancellationToken cancellationToken)
    {
        // TTL zero and no listener: every resolve reads the catalog and the secret.
        await using var resolver = new TenantConnectionResolver(dataSource, secrets,
            new TenantConnectionResolverOptions { CacheTtl = TimeSpan.Zero }, TimeProvider.System, NullLogger<TenantConnectionResolver>.Instance);
        var references = slugs.Select(s => SecretReference.Parse($"mock:{s}")).ToArray();
        return await LatencyComparison.MeasureAsync($"resolve ({Tenants:N0} slugs)", Warmup, Iterations,
            async i => _ = await resolver.ResolveAsync(slugs[i % slugs.Length], cancellationToken),
            async i =>
            {
                await CatalogBenchmark.DirectAsync(dataSource, CatalogSql.FindBySlug, cancellationToken, slugs[i % slugs.Length]);
                _ = await secrets.ReadAsync(references[i % references.Length], cancellationToken);
            });
    }
}
