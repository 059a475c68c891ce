using System.Diagnostics.Metrics;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Operator.Tests.Lifecycle;
using ControlPlane.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using CapturingLoggerProvider = ControlPlane.Operator.Tests.Integration.CapturingLoggerProvider;

namespace ControlPlane.Operator.Tests.Drift;

/// <summary>
/// Issue 18, item 3 (ADR-CP-011): a resync of healthy tenants starts from the leader's bulk catalog snapshot, not a
/// statement per tenant; a reconcile that acts proves the row it decided on is the catalog's current one first.
/// </summary>
public sealed class BulkResyncTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_resync_of_healthy_tenants_reads_the_catalog_in_one_bulk_statement_and_no_row_of_its_own()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results, metrics, _) = Start(cluster, clock);
        string[] names = ["bulk-a", "bulk-b", "bulk-c", "bulk-d"];
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        foreach (var name in names)
        {
            await world.WaitForAsync(name, OperatorTestCluster.IsConverged, "Active");
            await results.WaitSettledAsync(name, _ct);
        }

        var (loads, statements, fromSnapshot, fromCatalog) = (metrics.Loads, metrics.Statements, metrics.SnapshotReads, metrics.CatalogReads);
        var before = names.ToDictionary(n => n, results.Count);
        clock.JumpPastResync();
        foreach (var name in names)
        {
            await results.WaitResyncedAsync(name, before[name], _ct);
        }

        // The snapshot was older than half the period: one new bulk read (one page) served every tenant's resync.
        Assert.Equal(1, metrics.Loads - loads);
        Assert.Equal(1, metrics.Statements - statements);
        Assert.Equal(names.Length, metrics.SnapshotReads - fromSnapshot);
        Assert.Equal(0, metrics.CatalogReads - fromCatalog);
        Assert.Equal(0, metrics.Changed);
    }

    [Fact]
    public async Task A_limit_change_after_a_note_was_written_by_hand_keeps_the_note_although_the_snapshot_was_read_before_it()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results, metrics, logs) = Start(cluster, clock);
        await cluster.CreateTenantAsync("noted", s => s.Limits = new TenantLimits { MaxUsers = 10 }, _ct);
        await world.WaitForAsync("noted", OperatorTestCluster.IsConverged, "Active");
        await results.WaitSettledAsync("noted", _ct);
        var id = Guid.Parse((await cluster.GetTenantAsync("noted", _ct))!.Status.TenantId!);

        // A resync loads a snapshot that holds the Active row with its limits (no note yet).
        var loads = metrics.Loads;
        var before = results.Count("noted");
        clock.JumpPastResync();
        await results.WaitResyncedAsync("noted", before, _ct);
        Assert.Equal(loads + 1, metrics.Loads);

        // Behind the operator's back: a note on the contract, written by hand into the catalog.
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using (var note = catalog.CreateCommand("UPDATE control_plane.tenant_limits SET notes = 'contract signed 2026-11' WHERE tenant_id = $1"))
        {
            note.Parameters.Add(new() { Value = id });
            Assert.Equal(1, await note.ExecuteNonQueryAsync(_ct));
        }

        // Then the spec raises the limit: the reconcile starts from the snapshot, whose row has no note, and writes limits.
        await cluster.UpdateSpecAsync("noted", s => s.Limits!.MaxUsers = 20, _ct);
        await world.WaitForAsync("noted", t => OperatorTestCluster.IsConverged(t) && t.Status.ObservedGeneration == t.Metadata.Generation, "converged on the new limit");
        await OperatorTestCluster.WaitUntilAsync(async () => (await LimitsAsync(catalog, id)).MaxUsers == 20, TimeSpan.FromSeconds(60), "max_users 20 in the catalog", _ct);

        // The note written by hand survives: the row was read again before the write and the pass started over on it.
        Assert.Equal((20, "contract signed 2026-11"), await LimitsAsync(catalog, id));
        Assert.Equal(1, metrics.Changed);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 182 && e.Message.Contains(id.ToString(), StringComparison.Ordinal));
    }

    private (LifecycleWorld World, ResultLog Results, CatalogSnapshotMetrics Metrics, CapturingLoggerProvider Logs) Start(OperatorTestCluster cluster, ResyncClock clock)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new CatalogSnapshotMetrics(services.GetRequiredService<IMeterFactory>());
        var logs = new CapturingLoggerProvider();
        var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var results = new ResultLog();
        results.StartOperator(cluster, clock, loggers, metrics);
        return (new LifecycleWorld(cluster, postgres), results, metrics, logs);
    }

    private async Task<(int? MaxUsers, string? Notes)> LimitsAsync(NpgsqlDataSource catalog, Guid id)
    {
        await using var read = catalog.CreateCommand("SELECT max_users, notes FROM control_plane.tenant_limits WHERE tenant_id = $1");
        read.Parameters.Add(new() { Value = id });
        await using var reader = await read.ExecuteReaderAsync(_ct);
        Assert.True(await reader.ReadAsync(_ct));
        return (reader.IsDBNull(0) ? null : reader.GetInt32(0), reader.IsDBNull(1) ? null : reader.GetString(1));
    }
}
