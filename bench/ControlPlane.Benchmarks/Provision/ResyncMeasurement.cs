using System.Diagnostics;
using ControlPlane.Operator.Controllers;
using ControlPlane.Store.Sql;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// Resyncs of Active tenants: they are provisioned through the operator (4 workers), the operator is stopped, logging is
/// switched on (<c>log_statement = ddl</c> and <c>log_connections</c> server-wide, <c>all</c> for the catalog database),
/// and a fresh operator instance with the shortest resync period (10 s ±10 %) runs until every tenant was reconciled
/// twice: once because the replica started (new informer, so a full LIST, and new connection pools) and once by its
/// periodic drift resync. Counted from the server log: DDL outside the catalog (the tenant server's), every catalog
/// statement, and logins (the drift check reads each Active tenant's changelog through its own login). A probe DDL
/// afterwards proves the log would have shown DDL had there been any.
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
        await cluster.ExecuteAsync("ALTER SYSTEM SET log_connections = on", cancellationToken);
        await cluster.ExecuteAsync($"ALTER DATABASE {SqlIdentifier.Quote(catalogName)} SET log_statement = 'all'", cancellationToken);
        await cluster.ExecuteAsync("SELECT pg_reload_conf()", cancellationToken);
        await Task.Delay(1000, cancellationToken);
        var offset = StatementLog.EndOffset(cluster.ServerLog);
        var writesBefore = KubernetesWrites(cluster);

        var measured = cluster.Options(ns, 4);
        measured.ResyncPeriod = TenantResync.MinimumPeriod;
        var clock = Stopwatch.StartNew();
        TimeSpan restart;
        int calls;
        int finished;
        CountingReconciler reconciles;
        await using (var lifecycle = cluster.CreateLifecycle(measured, catalog))
        await using (var running = new BenchOperator(cluster, measured, lifecycle.Value))
        {
            await ProvisionBenchmark.WaitAsync(() => running.Reconciles.SucceededAtLeast(1) == tenants, TimeSpan.FromMinutes(10), $"{tenants} tenants resynced on start", cancellationToken);
            restart = clock.Elapsed;
            await ProvisionBenchmark.WaitAsync(() => running.Reconciles.SucceededAtLeast(2) == tenants, TimeSpan.FromMinutes(10), $"{tenants} tenants resynced by the period", cancellationToken);
            clock.Stop();

            // Stopped at once: every tenant comes back every 10 s, so waiting longer only adds further passes.
            finished = running.Reconciles.Calls;
            reconciles = running.Reconciles;
        }

        // Per reconcile that began: one cancelled in flight at the stop has already sent (and logged) its statements.
        calls = reconciles.Started;

        var writes = KubernetesWrites(cluster) - writesBefore;
        await cluster.ExecuteAsync($"CREATE ROLE {Probe}", cancellationToken);
        await cluster.ExecuteAsync($"DROP ROLE {Probe}", cancellationToken);
        await Task.Delay(500, cancellationToken);

        var logged = StatementLog.ReadFrom(cluster.ServerLog, offset);
        var logins = StatementLog.LoginsFrom(cluster.ServerLog, offset);
        var probe = logged.Count(s => s.Sql.Contains(Probe, StringComparison.Ordinal));
        var ddl = logged.Where(s => s.Database != catalogName && !s.Sql.Contains(Probe, StringComparison.Ordinal)).ToList();
        var catalogStatements = logged.Where(s => s.Database == catalogName).ToList();
        // Npgsql's own statements: the pool's session reset (pipelined before the next query, no round trip of its own)
        // and the type loading of a new data source (once per process). Everything else is a query the operator issued.
        var resets = catalogStatements.Count(s => s.Sql == "DISCARD ALL");
        var typeLoading = catalogStatements.Count(s => s.Sql.StartsWith("SELECT version();", StringComparison.Ordinal));
        var queries = catalogStatements.Count - resets - typeLoading;
        var perReconcile = (double)queries / calls;
        var tenantLogins = logins.Count(l => l.User.StartsWith("bench_rs_", StringComparison.Ordinal) && !l.User.EndsWith("_owner", StringComparison.Ordinal));
        var ownerLogins = logins.Count(l => l.User.EndsWith("_owner", StringComparison.Ordinal));

        Console.WriteLine($"resync: a fresh operator (resync period {measured.ResyncPeriod.TotalSeconds:F0} s ±10 %) reconciled all {tenants} tenants on start in {restart.TotalSeconds:F2} s "
            + $"and again by its periodic resync by {clock.Elapsed.TotalSeconds:F2} s; {calls} reconciles began ({finished} finished before the stop), {writes} Kubernetes writes.");
        Console.WriteLine($"  DDL on the tenant server:  {ddl.Count} ({(double)ddl.Count / calls:F2} per reconcile)   [log check: probe CREATE/DROP ROLE logged {probe} of 2]");
        Console.WriteLine($"  catalog statements:        {catalogStatements.Count} ({(double)catalogStatements.Count / calls:F2} per reconcile) = "
            + $"{queries} queries ({perReconcile:F2} per reconcile) + {resets} DISCARD ALL (Npgsql pool reset, {(double)resets / calls:F2} per reconcile) + {typeLoading} Npgsql type loading");
        Console.WriteLine($"  logins: {logins.Count} = {tenantLogins} as the tenant's own role (schema version from its changelog, {(double)tenantLogins / calls:F2} per reconcile), "
            + $"{ownerLogins} as an owner role (migrations: 0 expected), {logins.Count - tenantLogins - ownerLogins} pooled catalog/admin/other");
        foreach (var group in catalogStatements.Concat(ddl).GroupBy(s => (s.Database == catalogName ? "catalog" : "tenant server") + ": " + Shorten(s.Sql)).OrderByDescending(g => g.Count()))
        {
            Console.WriteLine($"  {group.Count(),7} × {group.Key}");
        }

        // Issue 18: at most one catalog statement per healthy tenant and resync, the pool's resets included.
        var statementsPerReconcile = (double)(queries + resets) / calls;
        var ok = ddl.Count == 0 && statementsPerReconcile <= 1 && probe == 2 && writes == 0 && ownerLogins == 0;
        Console.WriteLine($"Targets: no DDL: {(ddl.Count == 0 ? "met" : "MISSED")}; ≤ 1 catalog statement (resets included) per tenant and resync: "
            + $"{(statementsPerReconcile <= 1 ? "met" : "MISSED")} ({statementsPerReconcile:F2}); "
            + $"no Kubernetes writes: {(writes == 0 ? "met" : "MISSED")}{(probe == 2 ? "" : "; the log check FAILED, the counts are not trustworthy")}.");
        return ok;
    }

    private static async Task<TimeSpan> ProvisionAsync(
        ProvisionCluster cluster, Operator.Hosting.OperatorOptions options, string catalog, string ns, int tenants, CancellationToken cancellationToken)
    {
        await using var lifecycle = cluster.CreateLifecycle(options, catalog);
        await using var running = new BenchOperator(cluster, options, lifecycle.Value);
        await running.Operator.Informer.WaitForSyncAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
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
