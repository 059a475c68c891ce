using System.Diagnostics;
using ControlPlane.Store.Sql;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// A full resync of Active tenants: they are provisioned through the operator (4 workers), the operator is stopped,
/// statement logging is switched on (<c>log_statement = ddl</c> server-wide, <c>all</c> for the catalog database), and a
/// fresh operator instance — new informer, so a full LIST, and new connection pools — reconciles every tenant once.
/// Counted from the server log: DDL outside the catalog (the tenant server's) and every catalog statement.
/// A probe DDL afterwards proves the log would have shown DDL had there been any.
/// </summary>
internal static class ResyncMeasurement
{
    private const string Probe = "bench_ddl_probe";

    public static async Task<bool> RunAsync(ProvisionCluster cluster, int tenants, CancellationToken cancellationToken)
    {
        const string label = "resync";
        const string catalogName = "catalog_resync";
        var ns = $"bench-{label}";
        await cluster.CreateNamespaceAsync(ns, cancellationToken);
        var options = cluster.Options(ns, 4);
        var catalog = await cluster.CreateCatalogAsync(catalogName, cancellationToken);
        var seeding = await ProvisionAsync(cluster, options, catalog, ns, tenants, cancellationToken);
        Console.WriteLine($"resync: {tenants} tenants provisioned through the operator (4 workers) in {seeding.TotalSeconds:F1} s; operator stopped.");

        await cluster.ExecuteAsync($"ALTER SYSTEM SET log_line_prefix = '{StatementLog.LinePrefix}'", cancellationToken);
        await cluster.ExecuteAsync("ALTER SYSTEM SET log_statement = 'ddl'", cancellationToken);
        await cluster.ExecuteAsync($"ALTER DATABASE {SqlIdentifier.Quote(catalogName)} SET log_statement = 'all'", cancellationToken);
        await cluster.ExecuteAsync("SELECT pg_reload_conf()", cancellationToken);
        await Task.Delay(1000, cancellationToken);
        var offset = StatementLog.EndOffset(cluster.ServerLog);
        var writesBefore = KubernetesWrites(cluster);

        var clock = Stopwatch.StartNew();
        int calls;
        await using (var lifecycle = cluster.CreateLifecycle(options, catalog))
        await using (var running = new BenchOperator(cluster, options, lifecycle.Value))
        {
            await ProvisionBenchmark.WaitAsync(() => running.Reconciles.Succeeded == tenants, TimeSpan.FromMinutes(10), $"{tenants} tenants resynced", cancellationToken);
            clock.Stop();

            // Anything a reconcile caused (a status write and its watch event) would show up as further reconciles.
            await Task.Delay(2000, cancellationToken);
            calls = running.Reconciles.Calls;
        }

        var writes = KubernetesWrites(cluster) - writesBefore;
        await cluster.ExecuteAsync($"CREATE ROLE {Probe}", cancellationToken);
        await cluster.ExecuteAsync($"DROP ROLE {Probe}", cancellationToken);
        await Task.Delay(500, cancellationToken);

        var logged = StatementLog.ReadFrom(cluster.ServerLog, offset);
        var probe = logged.Count(s => s.Sql.Contains(Probe, StringComparison.Ordinal));
        var ddl = logged.Where(s => s.Database != catalogName && !s.Sql.Contains(Probe, StringComparison.Ordinal)).ToList();
        var catalogStatements = logged.Where(s => s.Database == catalogName).ToList();
        // Npgsql's own statements: the pool's session reset (pipelined before the next query, no round trip of its own)
        // and the type loading of a new data source (once per process). Everything else is a query the operator issued.
        var resets = catalogStatements.Count(s => s.Sql == "DISCARD ALL");
        var typeLoading = catalogStatements.Count(s => s.Sql.StartsWith("SELECT version();", StringComparison.Ordinal));
        var queries = catalogStatements.Count - resets - typeLoading;
        var perTenant = (double)queries / tenants;

        Console.WriteLine($"resync: {tenants} tenants reconciled by a fresh operator in {clock.Elapsed.TotalSeconds:F2} s; {calls} reconciles in all, {writes} Kubernetes writes.");
        Console.WriteLine($"  DDL on the tenant server:  {ddl.Count} ({(double)ddl.Count / tenants:F2} per tenant)   [log check: probe CREATE/DROP ROLE logged {probe} of 2]");
        Console.WriteLine($"  catalog statements:        {catalogStatements.Count} ({(double)catalogStatements.Count / tenants:F2} per tenant) = "
            + $"{queries} queries ({perTenant:F2} per tenant) + {resets} DISCARD ALL (Npgsql pool reset, {(double)resets / tenants:F2} per tenant) + {typeLoading} Npgsql type loading");
        foreach (var group in catalogStatements.Concat(ddl).GroupBy(s => (s.Database == catalogName ? "catalog" : "tenant server") + ": " + Shorten(s.Sql)).OrderByDescending(g => g.Count()))
        {
            Console.WriteLine($"  {group.Count(),7} × {group.Key}");
        }

        var ok = ddl.Count == 0 && perTenant <= 2 && probe == 2;
        Console.WriteLine($"Targets: no DDL: {(ddl.Count == 0 ? "met" : "MISSED")}; ≤ 2 catalog queries per tenant: {(perTenant <= 2 ? "met" : "MISSED")}{(probe == 2 ? "" : "; the log check FAILED, the counts are not trustworthy")}.");
        return ok;
    }

    private static async Task<TimeSpan> ProvisionAsync(
        ProvisionCluster cluster, Operator.Hosting.OperatorOptions options, string catalog, string ns, int tenants, CancellationToken cancellationToken)
    {
        await using var lifecycle = cluster.CreateLifecycle(options, catalog);
        await using var running = new BenchOperator(cluster, options, lifecycle.Value);
        await ProvisionBenchmark.WaitAsync(() => running.Operator.Informer.HasSynced, TimeSpan.FromSeconds(30), "resync: initial sync", cancellationToken);
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, tenants, new ParallelOptions { MaxDegreeOfParallelism = 4, CancellationToken = cancellationToken }, async (i, ct) =>
            await cluster.CreateTenantAsync(ProvisionCluster.NewTenant(ns, $"rs-{i:0000}"), ct));
        await ProvisionBenchmark.WaitAsync(() => running.ConvergedCount() == tenants, TimeSpan.FromMinutes(30), $"resync: {tenants} tenants Active", cancellationToken);
        return clock.Elapsed;
    }

    private static int KubernetesWrites(ProvisionCluster cluster) =>
        new[] { "create", "update", "patch", "delete" }.Sum(verb => cluster.Api.CountRequests(verb, "*"));

    private static string Shorten(string sql) => sql.Length <= 110 ? sql : sql[..110] + "…";
}
