using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ControlPlane.Operator;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Benchmarks.Scale;

/// <summary>
/// <c>scale [N]</c> (issue 18, item 4): N Tenants in the in-process API server and N healthy catalog rows; the operator
/// runtime runs in a child process of its own (so the API server's memory is not charged to it) with a reconciler that
/// does exactly the catalog read of a healthy resync and nothing else: the leader's snapshot lookup
/// (<see cref="TenantCatalogSnapshot.FindAsync"/>, side <c>bulk</c>) or one <see cref="TenantCatalog.GetWithLimitsAsync"/>
/// per tenant (side <c>single</c>, the path before issue 18). The tenant database servers are not part of it: N real
/// tenant databases cannot be built here (the drift check's per-tenant server work is measured by <c>provision</c>).
/// Each side: initial sync (every Tenant listed, cached, queued and reconciled once) with its peak working set, then a
/// resync wave (every Tenant queued at once after the snapshot aged past its maximum) with its wall time and the catalog
/// statements PostgreSQL counted for it (<c>pg_stat_database.xact_commit</c> of the catalog database, read from another
/// database after the statistics were flushed).
/// </summary>
internal sealed class ScaleBenchmark(int tenants) : IBenchmark
{
    public const int DefaultTenants = 100_000;
    public const string ChildCommand = "scale-child";
    private const string CatalogVariable = "CONTROL_PLANE_BENCH_SCALE_CATALOG";
    private const string MaintenanceVariable = "CONTROL_PLANE_BENCH_SCALE_MAINTENANCE";

    /// <summary>How old the child's snapshot may be: short, so the resync wave finds it aged and reads the catalog again.</summary>
    private static readonly TimeSpan SnapshotMaxAge = TimeSpan.FromSeconds(5);

    /// <summary>PostgreSQL flushes a busy backend's statistics at least this often once it is idle (PGSTAT_IDLE_INTERVAL 10 s).</summary>
    private static readonly TimeSpan StatisticsFlush = TimeSpan.FromSeconds(12);

    public string Name => "scale";

    public string Description => "N Tenants (default 100,000): initial sync, peak working set, bulk resync time and catalog statements per tenant";

    /// <summary>The catalog id of the Tenant of this name, as seed.sql computes it: md5(name)::uuid.</summary>
    public static Guid RowId(string name) => Guid.Parse(Convert.ToHexString(MD5.HashData(Encoding.UTF8.GetBytes(name))));

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("bench_scale", cancellationToken);
        Console.WriteLine($"scale: N = {tenants:N0}; catalog {database.Name} on {database.Where}");
        await using (var dataSource = NpgsqlDataSource.Create(database.ConnectionString))
        {
            var seeding = Stopwatch.StartNew();
            await CatalogMigrator.MigrateAsync(dataSource, Path.Combine(AppContext.BaseDirectory, "sql", "control_plane"), _ => { }, cancellationToken);
            await using var seed = dataSource.CreateCommand(await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Scale", "seed.sql"), cancellationToken));
            seed.CommandTimeout = 600;
            seed.Parameters.Add(new() { Value = tenants });
            await seed.ExecuteNonQueryAsync(cancellationToken);
            await using var analyze = dataSource.CreateCommand("ANALYZE control_plane.tenants");
            await analyze.ExecuteNonQueryAsync(cancellationToken);
            Console.WriteLine($"scale: {tenants:N0} catalog rows by generate_series in {seeding.Elapsed.TotalSeconds:F1} s");
        }

        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { HistoryLimit = tenants + 100 }, cancellationToken);
        var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenants" } }, cancellationToken: cancellationToken);
        var creating = Stopwatch.StartNew();
        await Parallel.ForAsync(1, tenants + 1, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = $"tenant-{i:000000}", NamespaceProperty = "tenants" } };
            tenant.Spec.DisplayName = $"Tenant {i} SA";
            await client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(tenant, Tenant.ApiGroup, Tenant.ApiVersionName, "tenants", Tenant.Plural, cancellationToken: ct);
        });
        Console.WriteLine($"scale: {tenants:N0} Tenants created in the in-process API server (8 parallel creates) in {creating.Elapsed.TotalSeconds:F1} s");

        var kubeconfig = Path.Combine(Path.GetTempPath(), $"controlplane-bench-scale-{Environment.ProcessId}.kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        try
        {
            var maintenance = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
            var results = new List<SideResult>();
            foreach (var side in new[] { "bulk", "single" })
            {
                results.Add(Child(side, kubeconfig, database.ConnectionString, maintenance));
            }

            Print(results);
            var bulk = results[0];
            return bulk.Seen == tenants && bulk.InitialMs < 10_000 && bulk.PeakWorkingSet < 1L << 30 && bulk.ResyncMs < 60_000 && bulk.Statements <= 2L * bulk.Pages + 10 ? 0 : 1;
        }
        finally
        {
            File.Delete(kubeconfig);
        }
    }

    /// <summary>One side, in its own process: <c>scale-child bulk|single KUBECONFIG N</c>; the connection strings come by environment.</summary>
    public static async Task<int> RunChildAsync(string side, string kubeconfig, int count)
    {
        var catalogUrl = Environment.GetEnvironmentVariable(CatalogVariable)!;
        var maintenance = Environment.GetEnvironmentVariable(MaintenanceVariable)!;
        await using var dataSource = CatalogPool.Create(catalogUrl);
        var catalog = new TenantCatalog(dataSource);
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var snapshotMetrics = new CatalogSnapshotMetrics(meters);
        var snapshot = side == "bulk"
            ? new TenantCatalogSnapshot(catalog, SnapshotMaxAge, TimeProvider.System, NullLogger.Instance, snapshotMetrics)
            : null;
        var reconciler = new ResyncReadReconciler(catalog, snapshot);
        var client = KubernetesClientFactory.Create(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var options = new OperatorOptions { MaxConcurrentReconciles = 4, LeaderElection = { Enabled = false } };
        var tenantOperator = new TenantRuntime(client, options, TimeProvider.System, new OperatorMetrics(meters), NullLoggerFactory.Instance, () => reconciler);

        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var run = tenantOperator.RunAsync(stop.Token);

        // As TenantOperator does when a term begins (leader election is off here: the term begins at start).
        snapshot?.Prefetch();
        var cached = CacheSyncedAsync(tenantOperator.Informer, clock, stop.Token);
        await reconciler.WaitForPassAsync(1, count);
        var cachedMs = await cached;
        var initialMs = clock.Elapsed.TotalMilliseconds;
        var initialPeak = Process.GetCurrentProcess().PeakWorkingSet64;

        // Past the snapshot's age and the statistics flush; then the whole fleet is due at once, as a resync wave.
        await Task.Delay(StatisticsFlush);
        var before = await CommittedAsync(maintenance, catalogUrl);
        var pagesBefore = snapshotMetrics.Statements;
        clock.Restart();
        foreach (var tenant in tenantOperator.Informer.Cache.Items)
        {
            tenantOperator.Controller.Queue.Add(ResourceKey.Of(tenant));
        }

        await reconciler.WaitForPassAsync(2, count);
        var resyncMs = clock.Elapsed.TotalMilliseconds;
        await stop.CancelAsync();
        await run;
        await Task.Delay(StatisticsFlush);
        var statements = await CommittedAsync(maintenance, catalogUrl) - before;
        Console.WriteLine(string.Join(' ', reconciler.Seen(1), cachedMs.ToString("F0", CultureInfo.InvariantCulture), initialMs.ToString("F0", CultureInfo.InvariantCulture), initialPeak,
            resyncMs.ToString("F0", CultureInfo.InvariantCulture), statements, snapshotMetrics.Statements - pagesBefore, Process.GetCurrentProcess().PeakWorkingSet64));
        return 0;
    }

    /// <summary>When the informer had listed every Tenant into its cache (the sync a controller waits for before its workers start).</summary>
    private static async Task<double> CacheSyncedAsync(Informer<Tenant> informer, Stopwatch clock, CancellationToken cancellationToken)
    {
        await informer.WaitForSyncAsync(cancellationToken);
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Transactions committed in the catalog database (each autocommit statement is one), read from the maintenance database.</summary>
    private static async Task<long> CommittedAsync(string maintenance, string catalogUrl)
    {
        await using var connection = new NpgsqlConnection(maintenance);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = $1", connection);
        command.Parameters.Add(new() { Value = new NpgsqlConnectionStringBuilder(catalogUrl).Database! });
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private SideResult Child(string side, string kubeconfig, string catalog, string maintenance)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [ChildCommand, side, kubeconfig, tenants.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.Environment[CatalogVariable] = catalog;
        start.Environment[MaintenanceVariable] = maintenance;
        using var child = Process.Start(start)!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        var parts = output.Split(' ');
        if (child.ExitCode != 0 || parts.Length != 8)
        {
            throw new InvalidOperationException($"{side} child failed ({child.ExitCode}): {output}");
        }

        long Part(int i) => long.Parse(parts[i], CultureInfo.InvariantCulture);
        return new SideResult(side, (int)Part(0), Part(1), Part(2), Part(3), Part(4), Part(5), Part(6), Part(7));
    }

    private void Print(List<SideResult> results)
    {
        Console.WriteLine();
        Console.WriteLine($"N = {tenants:N0} Tenants and catalog rows; operator runtime in its own process (4 workers), API server and PostgreSQL outside it");
        Console.WriteLine($"{"side",-8} {"cache synced",13} {"initial sync",13} {"peak WS (sync)",15} {"resync wave",12} {"catalog stmts",14} {"per tenant",11} {"bulk pages",11} {"peak WS (end)",14}");
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Side,-8} {r.CachedMs / 1000.0,11:F2} s {r.InitialMs / 1000.0,11:F2} s {r.InitialPeak / 1048576.0,12:F0} MB {r.ResyncMs / 1000.0,10:F2} s {r.Statements,14:N0} {(double)r.Statements / tenants,11:F4} {r.Pages,11} {r.PeakWorkingSet / 1048576.0,11:F0} MB");
        }

        var bulk = results[0];
        Console.WriteLine("cache synced: every Tenant listed into the informer's cache; initial sync: every Tenant also reconciled once (4 workers, the first bulk load included).");
        Console.WriteLine($"Targets (bulk): initial sync < 10 s: {Met(bulk.InitialMs < 10_000)} (cache synced: {Met(bulk.CachedMs < 10_000)}); peak working set < 1 GB: {Met(bulk.PeakWorkingSet < 1L << 30)}; "
            + $"resync < 60 s: {Met(bulk.ResyncMs < 60_000)}; catalog statements constant in bulk (pages + connection set-up): {Met(bulk.Statements <= 2L * bulk.Pages + 10)}.");
        Console.WriteLine("Not in these figures: the tenant database servers (a healthy Active tenant's resync also observes its server and logs in once as the tenant: see `provision`); event lookups and inserts at 10 million events: `events`.");
    }

    private static string Met(bool met) => met ? "met" : "MISSED";

    private sealed record SideResult(string Side, int Seen, long CachedMs, long InitialMs, long InitialPeak, long ResyncMs, long Statements, long Pages, long PeakWorkingSet);
}

/// <summary>
/// A healthy resync's catalog read and nothing else: the row the Tenant's status would name (md5 of its name, as seeded),
/// from the snapshot or by a statement of its own. Counts the passes per Tenant.
/// </summary>
internal sealed class ResyncReadReconciler(TenantCatalog catalog, TenantCatalogSnapshot? snapshot) : IReconciler<Tenant>
{
    private readonly Dictionary<string, int> _passes = [];

    // _reached[k]: Tenants reconciled at least k times (counted as they get there: no scan of N per reconcile).
    private readonly int[] _reached = new int[8];
    private readonly Lock _lock = new();
    private (int Pass, int Count, TaskCompletionSource Done)? _waiting;

    public int Seen(int pass)
    {
        lock (_lock)
        {
            return _reached[pass];
        }
    }

    public Task WaitForPassAsync(int pass, int count)
    {
        lock (_lock)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting = (pass, count, done);
            if (_reached[pass] >= count)
            {
                done.TrySetResult();
            }

            return done.Task;
        }
    }

    public async Task<ReconcileResult> ReconcileAsync(Tenant resource, CancellationToken cancellationToken)
    {
        var id = ScaleBenchmark.RowId(resource.Metadata.Name);
        var row = snapshot is not null ? await snapshot.FindAsync(id, cancellationToken) : await catalog.GetWithLimitsAsync(id, cancellationToken);
        if (row is null)
        {
            throw new InvalidOperationException($"No live catalog row for {resource.Metadata.Name}.");
        }

        lock (_lock)
        {
            var pass = _passes[resource.Metadata.Name] = _passes.GetValueOrDefault(resource.Metadata.Name) + 1;
            if (pass < _reached.Length)
            {
                _reached[pass]++;
            }

            if (_waiting is { } waiting && pass == waiting.Pass && _reached[pass] >= waiting.Count)
            {
                waiting.Done.TrySetResult();
            }
        }

        return ReconcileResult.Success();
    }
}
