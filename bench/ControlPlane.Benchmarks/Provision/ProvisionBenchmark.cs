using System.Diagnostics;
using Tenant = ControlPlane.Operator.Api.V1Alpha1.Tenant;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// <c>provision [N]</c>: provisions N tenants (default 50) three ways, each on fresh names, namespace and catalog:
/// the real operator with 1 worker, with 4 workers (wall time from the first Tenant created until all are Active and
/// Ready), and <see cref="DirectProvisioner"/> in a sequential loop (targets: 1 worker ≤ 1.2× direct; 4 workers
/// faster than direct). Then a resync of 1,000 Active tenants (<see cref="ResyncMeasurement"/>): DDL on the tenant
/// server and catalog statements per tenant, counted from PostgreSQL's own statement log (targets: 0 and ≤ 2).
/// </summary>
internal sealed class ProvisionBenchmark(int count) : IBenchmark
{
    public const int DefaultCount = 50;
    private const int ResyncTenants = 1000;
    private const int WarmupTenants = 3;

    public string Name => "provision";

    public string Description => $"Tenant provisioning: operator (1 and 4 workers) vs direct Npgsql loop, N tenants (default {DefaultCount}); resync of {ResyncTenants} Active tenants";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var cluster = await ProvisionCluster.StartAsync(historyLimit: 50_000, cancellationToken);
        Console.WriteLine($"Embedded PostgreSQL 17 (catalog and tenant server, fsync off), in-process API server; {count} tenants per scenario, migrations V1..V2.");

        // Warm-up (JIT, pools, Evolve's first scan) on both paths; not measured.
        await OperatorScenarioAsync(cluster, "warm-op", 4, WarmupTenants, cancellationToken);
        await DirectScenarioAsync(cluster, "warm-direct", WarmupTenants, cancellationToken);

        var one = await OperatorScenarioAsync(cluster, "op1", 1, count, cancellationToken);
        var four = await OperatorScenarioAsync(cluster, "op4", 4, count, cancellationToken);
        var direct = await DirectScenarioAsync(cluster, "direct", count, cancellationToken);

        Console.WriteLine();
        Console.WriteLine($"{"scenario",-22} {"wall",10} {"per tenant",12} {"x direct",9}  target");
        Console.WriteLine($"{"direct loop (Npgsql)",-22} {direct.TotalSeconds,8:F2} s {direct.TotalMilliseconds / count,9:F0} ms {1.0,9:F2}");
        var oneRatio = one / direct;
        var fourRatio = four / direct;
        Console.WriteLine($"{"operator, 1 worker",-22} {one.TotalSeconds,8:F2} s {one.TotalMilliseconds / count,9:F0} ms {oneRatio,9:F2}  ≤ 1.20: {(oneRatio <= 1.2 ? "met" : "MISSED")}");
        Console.WriteLine($"{"operator, 4 workers",-22} {four.TotalSeconds,8:F2} s {four.TotalMilliseconds / count,9:F0} ms {fourRatio,9:F2}  < 1.00: {(fourRatio < 1.0 ? "met" : "MISSED")}");

        Console.WriteLine();
        var resync = await ResyncMeasurement.RunAsync(cluster, ResyncTenants, cancellationToken);
        return oneRatio <= 1.2 && fourRatio < 1.0 && resync ? 0 : 1;
    }

    /// <summary>Starts a real operator, waits for its initial sync, then times Tenant creation until all are Active.</summary>
    public static async Task<TimeSpan> OperatorScenarioAsync(ProvisionCluster cluster, string label, int workers, int tenants, CancellationToken cancellationToken)
    {
        var ns = $"bench-{label}";
        await cluster.CreateNamespaceAsync(ns, cancellationToken);
        var options = cluster.Options(ns, workers);
        await using var lifecycle = cluster.CreateLifecycle(options, await cluster.CreateCatalogAsync($"catalog_{label.Replace('-', '_')}", cancellationToken));
        await using var running = new BenchOperator(cluster, options, lifecycle.Value);
        await WaitAsync(() => running.Operator.Informer.HasSynced, TimeSpan.FromSeconds(30), $"{label}: initial sync", cancellationToken);

        var clock = Stopwatch.StartNew();
        foreach (var tenant in Tenants(ns, label, tenants))
        {
            await cluster.CreateTenantAsync(tenant, cancellationToken);
        }

        await WaitAsync(() => running.ConvergedCount() == tenants, TimeSpan.FromMinutes(30), $"{label}: {tenants} tenants Active", cancellationToken);
        clock.Stop();
        Console.WriteLine($"{label}: {tenants} tenants Active through the operator ({workers} worker{(workers == 1 ? "" : "s")}) in {clock.Elapsed.TotalSeconds:F2} s ({running.Reconciles.Calls} reconciles).");
        Console.WriteLine($"  ms per tenant in reconciles (summed over workers): {running.Steps.Format(tenants)}");
        return clock.Elapsed;
    }

    private static async Task<TimeSpan> DirectScenarioAsync(ProvisionCluster cluster, string label, int tenants, CancellationToken cancellationToken)
    {
        var ns = $"bench-{label}";
        var options = cluster.Options(ns, 1);
        await using var lifecycle = cluster.CreateLifecycle(options, await cluster.CreateCatalogAsync($"catalog_{label.Replace('-', '_')}", cancellationToken));
        var all = Tenants(ns, label, tenants);
        var steps = new StepTimer();
        var clock = Stopwatch.StartNew();
        foreach (var tenant in all)
        {
            await DirectProvisioner.ProvisionAsync(lifecycle.Value, tenant, steps, cancellationToken);
        }

        clock.Stop();
        Console.WriteLine($"{label}: {tenants} tenants provisioned by the direct loop in {clock.Elapsed.TotalSeconds:F2} s.");
        Console.WriteLine($"  ms per tenant: {steps.Format(tenants)}");
        return clock.Elapsed;
    }

    private static List<Tenant> Tenants(string ns, string label, int count) =>
        [.. Enumerable.Range(0, count).Select(i => ProvisionCluster.NewTenant(ns, $"{label}-{i:0000}"))];

    public static async Task WaitAsync(Func<bool> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what}.");
            }

            await Task.Delay(10, cancellationToken);
        }
    }
}
