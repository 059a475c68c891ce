using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using Npgsql;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// The time to place a tenant at fleet sizes (issue 17), in its two parts: the planner alone
/// (<see cref="ServerPlacement.Candidates"/> + <see cref="ServerPlacement.Choose"/> over the registry's snapshot, what
/// <c>TenantReconciler.PlanAsync</c> runs after its catalog query) with 3, 30 and 300 ready servers sharing 100,000 live
/// tenants, and that catalog query itself (<see cref="TenantCatalog.CountLiveByServerAsync"/>) over 100,000 tenant rows
/// on 300 servers. The end-to-end time (Tenant created → server in its status) is the fleet side's, in part 1.
/// </summary>
internal static class PlacementMeasurement
{
    public const int FleetTenants = 100_000;
    private const int PendingPlacements = 4;
    private const int Batches = 21;

    public static async Task RunAsync(ProvisionCluster cluster, ISecretStore secrets, CancellationToken cancellationToken)
    {
        Console.WriteLine($"time to place a tenant with {FleetTenants:N0} live tenants (median of {Batches} batches):");
        foreach (var size in new[] { 3, 30, 300 })
        {
            await using var registry = Registry(size, secrets);
            var load = Load(size);
            string[] pending = [.. Enumerable.Range(0, PendingPlacements).Select(i => Name(i % size))];
            var placed = (PlacementDecision.Placed)Plan(registry, load, pending);
            var perCall = Median(size <= 30 ? 500 : 50, () => Plan(registry, load, pending));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  planner, {size,3} servers: {perCall.TotalMicroseconds,9:F1} µs per placement (chose {placed.Server}, the least loaded)"));
        }

        var count = await CatalogCountAsync(cluster, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  catalog count of live tenants per server ({FleetTenants:N0} rows, 300 servers): {count.TotalMilliseconds:F2} ms per placement (p50 of 60)"));
    }

    private static PlacementDecision Plan(TenantDatabaseServers registry, IReadOnlyList<ServerLoad> load, string[] pending) =>
        ServerPlacement.Choose(ServerPlacement.Candidates(registry.Snapshot(), load, pending), null);

    /// <summary>
    /// A registry filled as the TenantDatabaseServer reconciler fills it once its probe succeeded (registered, described
    /// ready). The servers are never contacted: planning reads only the snapshot.
    /// </summary>
    private static TenantDatabaseServers Registry(int size, ISecretStore secrets)
    {
        var registry = new TenantDatabaseServers(new Dictionary<string, TenantDatabaseServerOptions>(), secrets);
        for (var i = 0; i < size; i++)
        {
            registry.Register(Name(i), new TenantDatabaseServerOptions
            {
                Host = $"{Name(i)}.fleet.internal",
                AdminUser = "tenant_admin",
                AdminSecretRef = $"k8s:{ProvisionCluster.SecretNamespace}/fleet-admin#password",
            });
            registry.Describe(Name(i), new ServerPlacementProfile(true, false, FleetTenants, ImmutableDictionary<string, string>.Empty.Add("tier", "standard")));
        }

        return registry;
    }

    /// <summary>What the catalog's count returns: one row per server, 100,000 tenants in all, unevenly spread.</summary>
    private static List<ServerLoad> Load(int size)
    {
        var load = new List<ServerLoad>(size);
        for (var i = 0; i < size; i++)
        {
            load.Add(new ServerLoad(Name(i), $"{Name(i)}.fleet.internal", 5432, FleetTenants / size + (i * 37 % 11) - 5));
        }

        return load;
    }

    private static string Name(int i) => $"pg-{i:000}";

    private static TimeSpan Median(int callsPerBatch, Func<PlacementDecision> plan)
    {
        for (var i = 0; i < callsPerBatch; i++)
        {
            _ = plan();
        }

        var perCall = new List<TimeSpan>(Batches);
        for (var batch = 0; batch < Batches; batch++)
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < callsPerBatch; i++)
            {
                _ = plan();
            }

            perCall.Add(Stopwatch.GetElapsedTime(start) / callsPerBatch);
        }

        perCall.Sort();
        return perCall[Batches / 2];
    }

    /// <summary>p50 of the catalog's count over 100,000 live tenant rows on 300 servers (with 4 pending placements left out).</summary>
    private static async Task<TimeSpan> CatalogCountAsync(ProvisionCluster cluster, CancellationToken cancellationToken)
    {
        var connectionString = await cluster.CreateCatalogAsync("catalog_placement", cancellationToken);
        await using (var seed = NpgsqlDataSource.Create(connectionString))
        {
            await using var insert = seed.CreateCommand($"""
                INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, status, db_server, owner_namespace, owner_name)
                SELECT format('fleet-%s', g), format('Fleet %s', g), format('fleet_%s', g), format('pg-%s.fleet.internal', lpad((g % 300)::text, 3, '0')),
                       format('app_%s', g), format('k8s:econt-tenants/fleet-%s-db#password', g), 'active',
                       format('pg-%s', lpad((g % 300)::text, 3, '0')), 'tenants', format('fleet-%s', g)
                  FROM generate_series(1, {FleetTenants}) AS g;
                ANALYZE control_plane.tenants;
                """);
            insert.CommandTimeout = 0;
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var dataSource = CatalogPool.Create(connectionString);
        var catalog = new TenantCatalog(dataSource);
        TenantOwner[] excluded = [.. Enumerable.Range(0, PendingPlacements).Select(i => new TenantOwner("tenants", $"pending-{i}", null))];
        var times = new List<TimeSpan>();
        for (var i = 0; i < 70; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var load = await catalog.CountLiveByServerAsync(excluded, cancellationToken);
            if (i >= 10)
            {
                times.Add(Stopwatch.GetElapsedTime(start));
            }

            if (load.Sum(l => l.Tenants) != FleetTenants)
            {
                throw new InvalidOperationException($"The catalog counted {load.Sum(l => l.Tenants)} live tenants, not {FleetTenants}.");
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }
}
