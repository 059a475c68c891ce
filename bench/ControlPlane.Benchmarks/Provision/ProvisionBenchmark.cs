using System.Diagnostics;
using System.Globalization;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// <c>provision [N [R]]</c>: provisions N tenants (default 50) four ways, each on its own names, namespace and catalog:
/// the real operator with 1 worker, with 4 workers, with 4 workers across three PostgreSQL servers (tenants name none:
/// the operator places them; wall time from the first Tenant created until all are Active and Ready, and each tenant's
/// time to be placed), and <see cref="DirectProvisioner"/>
/// in a sequential loop on one server (targets: 1 worker ≤ 1.2× direct; 4 workers, on one or three servers, faster than
/// direct). The machine is shared, so the sides take turns in rounds of N/5 tenants (rotating who goes first) and each
/// side's time is the sum of its rounds: a burst of load from elsewhere hits all sides alike.
/// Then resyncs of R Active tenants (default 1,000; <see cref="ResyncMeasurement"/>): DDL on the tenant server, catalog
/// statements and tenant logins per tenant and resync, counted from PostgreSQL's own log (targets: 0 DDL, ≤ 2 catalog queries).
/// The placement planner's time at 3, 30 and 300 servers with 100,000 tenants is <see cref="PlacementMeasurement"/>'s.
/// </summary>
internal sealed class ProvisionBenchmark(int count, int resyncTenants) : IBenchmark
{
    public const int DefaultCount = 50;
    public const int DefaultResyncTenants = 1000;
    private const int WarmupTenants = 3;
    private const int Rounds = 5;

    public string Name => "provision";

    public string Description => $"Tenant provisioning: operator (1 and 4 workers; 4 workers across 3 servers) vs direct Npgsql loop, N tenants (default {DefaultCount}); resyncs of R Active tenants (default {DefaultResyncTenants})";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var cluster = await ProvisionCluster.StartAsync(historyLimit: 50_000, cancellationToken);
        Console.WriteLine($"Embedded PostgreSQL 17 (catalog and tenant server, fsync off), in-process API server; {count} tenants per side in {Rounds} rounds, migrations V1..V2.");

        await cluster.StartFleetAsync(cancellationToken);
        Console.WriteLine($"Fleet side: two more embedded PostgreSQL 17 servers; {string.Join(", ", ProvisionCluster.FleetServers)} registered as TenantDatabaseServers, its Tenants name no server: the operator places them.");

        double oneRatio, fourRatio, fleetRatio;
        await using (var direct = await DirectSide.StartAsync(cluster, "direct", cancellationToken))
        await using (var one = await OperatorSide.StartAsync(cluster, "op1", 1, cancellationToken))
        await using (var four = await OperatorSide.StartAsync(cluster, "op4", 4, cancellationToken))
        await using (var fleet = await OperatorSide.StartAsync(cluster, "op4x3", 4, cancellationToken, fleet: true))
        {
            ProvisionSide[] sides = [direct, one, four, fleet];

            // Warm-up (JIT, pools, Evolve's first scan) on every side; not counted.
            foreach (var side in sides)
            {
                await side.ProvisionAsync(WarmupTenants, warmup: true, cancellationToken);
            }

            for (var round = 0; round < Rounds; round++)
            {
                var chunk = count / Rounds + (round < count % Rounds ? 1 : 0);
                var times = new List<string>();
                for (var turn = 0; turn < sides.Length; turn++)
                {
                    var side = sides[(round + turn) % sides.Length];
                    times.Add($"{side.Label} {(await side.ProvisionAsync(chunk, warmup: false, cancellationToken)).TotalSeconds:F2} s");
                }

                Console.WriteLine($"round {round + 1}: {chunk} tenants each: {string.Join(", ", times)}");
            }

            Console.WriteLine();
            Console.WriteLine("ms per tenant by step (operator: summed over workers; the rest is status writes and events):");
            foreach (var side in sides)
            {
                Console.WriteLine($"  {side.Label,-7} {side.Steps.Format(side.Provisioned)}{(side is OperatorSide o ? $"  ({o.Reconciles} reconciles)" : "")}");
            }

            Console.WriteLine();
            Console.WriteLine($"{"side",-22} {"tenants",8} {"wall",10} {"per tenant",12} {"x direct",9}  target");
            oneRatio = one.Total / direct.Total;
            fourRatio = four.Total / direct.Total;
            Console.WriteLine(Row("direct loop (Npgsql)", direct, 1.0, ""));
            Console.WriteLine(Row("operator, 1 worker", one, oneRatio, $"≤ 1.20: {(oneRatio <= 1.2 ? "met" : "MISSED")}"));
            Console.WriteLine(Row("operator, 4 workers", four, fourRatio, $"< 1.00: {(fourRatio < 1.0 ? "met" : "MISSED")}"));
            fleetRatio = fleet.Total / direct.Total;
            Console.WriteLine(Row("4 workers, 3 servers", fleet, fleetRatio, $"< 1.00: {(fleetRatio < 1.0 ? "met" : "MISSED")}"));
            var placements = fleet.Placements.Order().ToList();
            var spread = await fleet.SpreadAsync(cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"time to place (fleet side, Tenant created → server in its status, {placements.Count} tenants): p50 {Percentile(placements, 0.5).TotalMilliseconds:F0} ms, p90 {Percentile(placements, 0.9).TotalMilliseconds:F0} ms, max {placements[^1].TotalMilliseconds:F0} ms; spread: {spread}"));
            Console.WriteLine();
            await PlacementMeasurement.RunAsync(cluster, fleet.Secrets, cancellationToken);
        }

        Console.WriteLine();
        var resync = await ResyncMeasurement.RunAsync(cluster, resyncTenants, cancellationToken);
        return oneRatio <= 1.2 && fourRatio < 1.0 && fleetRatio < 1.0 && resync ? 0 : 1;
    }

    private static TimeSpan Percentile(List<TimeSpan> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static string Row(string name, ProvisionSide side, double ratio, string target) =>
        $"{name,-22} {side.Provisioned,8} {side.Total.TotalSeconds,8:F2} s {side.Total.TotalMilliseconds / side.Provisioned,9:F0} ms {ratio,9:F2}  {target}";

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
