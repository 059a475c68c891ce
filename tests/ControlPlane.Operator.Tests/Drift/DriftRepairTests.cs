using System.Text.Json;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Operator.Tests.Lifecycle;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Drift;

/// <summary>
/// Issue 13, item 6: what is changed by hand on the tenant server is found by the periodic resync (a fake clock jumps
/// past it) and put back, each repair one <c>drift_repaired</c> catalog event; a healthy resync writes nothing at all;
/// what carries the tenant's name but not its mark is never adopted.
/// </summary>
public sealed class DriftRepairTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_database_dropped_by_hand_is_created_again_at_the_next_resync_and_migrated_to_the_recorded_version()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results) = Start(cluster, clock);
        var database = cluster.DatabaseNameFor("dropped");
        var (row, password) = await ProvisionAsync(world, results, "dropped");
        await using (var drop = postgres.Admin.CreateCommand($"DROP DATABASE \"{database}\" WITH (FORCE)"))
        {
            await drop.ExecuteNonQueryAsync(_ct);
        }

        var before = results.Count("dropped");
        clock.JumpPastResync();
        await results.WaitResyncedAsync("dropped", before, _ct);

        // Back at the catalog's version 2 with every data table, and the tenant logs in with its Secret as before.
        Assert.Equal("2", await world.QueryAsTenantAsync<string>(database, password, "SELECT max(version) FROM econt_schema_changelog WHERE type = 0"));
        Assert.True(await world.QueryAsTenantAsync<bool>(database, password,
            "SELECT to_regclass('public.accounts') IS NOT NULL AND to_regclass('public.fiscal_periods') IS NOT NULL AND to_regclass('public.journal_entries') IS NOT NULL AND to_regclass('public.journal_lines') IS NOT NULL"));
        Assert.Equal(0L, await world.QueryAsTenantAsync<long>(database, password, "SELECT count(*) FROM journal_entries"));

        var repair = await SingleRepairAsync(world, row);
        Assert.Equal(["database", "schema"], Strings(repair, "what"));
        Assert.Contains("CreateDatabase", Strings(repair, "steps"));
        Assert.Equal(JsonValueKind.Null, repair.GetProperty("schema").GetProperty("from").ValueKind);
        Assert.Equal("2", repair.GetProperty("schema").GetProperty("to").GetString());

        // The catalog already said 2: no new migration is recorded, the status stays Active.
        Assert.Single(await world.EventsAsync(row), e => e.Type == "migrated");
        Assert.Equal(("active", "2"), (Assert.Single(await world.CatalogRowsAsync("dropped")).Status, Assert.Single(await world.CatalogRowsAsync("dropped")).Schema));
        Assert.True(OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("dropped", _ct)));
    }

    [Fact]
    public async Task A_role_dropped_by_hand_is_created_again_and_the_tenant_logs_in_with_the_password_of_its_Secret()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results) = Start(cluster, clock);
        var database = cluster.DatabaseNameFor("unrolled");
        var (row, password) = await ProvisionAsync(world, results, "unrolled");
        await world.QueryAsTenantAsync<int>(database, password, "INSERT INTO accounts (code, name, kind) VALUES ('7', 'Kept', 'asset'); SELECT 1");

        // What a DBA must do to drop it: its grants first (in its database, CONNECT included), then the role.
        var own = new OwnershipWorld(cluster, postgres);
        await own.AsSuperuserInAsync<int>(database, $"DROP OWNED BY \"{database}\"; SELECT 1");
        await using (var drop = postgres.Admin.CreateCommand($"DROP ROLE \"{database}\""))
        {
            await drop.ExecuteNonQueryAsync(_ct);
        }

        Assert.False((await world.RoleAsync(database)).Exists);
        var before = results.Count("unrolled");
        clock.JumpPastResync();
        await results.WaitResyncedAsync("unrolled", before, _ct);

        Assert.Equal((true, true, -1), await world.RoleAsync(database));
        Assert.Equal(7, await world.QueryAsTenantAsync<int>(database, password, "SELECT code::int FROM accounts WHERE name = 'Kept'"));
        Assert.Equal(password, await world.GeneratedPasswordAsync("unrolled"));
        var repair = await SingleRepairAsync(world, row);
        Assert.Equal(["role"], Strings(repair, "what"));
        Assert.False(repair.TryGetProperty("schema", out _));
        Assert.DoesNotContain(password, (await world.CatalogDumpAsync()), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_connection_limit_changed_by_hand_is_restored_at_the_next_resync()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results) = Start(cluster, clock);
        var database = cluster.DatabaseNameFor("limited");
        var (row, _) = await ProvisionAsync(world, results, "limited", s => s.Limits = new TenantLimits { MaxConnections = 5 });
        await using (var alter = postgres.Admin.CreateCommand($"ALTER ROLE \"{database}\" CONNECTION LIMIT 500"))
        {
            await alter.ExecuteNonQueryAsync(_ct);
        }

        var before = results.Count("limited");
        clock.JumpPastResync();
        await results.WaitResyncedAsync("limited", before, _ct);

        Assert.Equal((true, true, 5), await world.RoleAsync(database));
        Assert.Equal(["connection_limit"], Strings(await SingleRepairAsync(world, row), "what"));
        Assert.Contains("DriftRepaired", world.KubernetesEventReasons("limited"));
    }

    [Fact]
    public async Task A_resync_of_healthy_tenants_writes_nothing_to_the_catalog_the_server_or_Kubernetes()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results) = Start(cluster, clock);
        var own = new OwnershipWorld(cluster, postgres);
        await ProvisionAsync(world, results, "steady");
        await cluster.CreateTenantAsync("dormant", s => (s.Suspended, s.SuspendedReason) = (true, "Awaiting the first payment."), _ct);
        await world.WaitForAsync("dormant", t => t.Status.Phase == TenantPhases.Suspended && t.Status.ObservedGeneration == t.Metadata.Generation, "Suspended");
        await results.WaitSettledAsync("dormant", _ct);
        await results.WaitSettledAsync("steady", _ct);

        var catalog = await WriteFingerprints.CatalogAsync(cluster, _ct);
        var server = await own.ServerFingerprintAsync();
        var steady = await WriteFingerprints.TenantDatabaseAsync(postgres, cluster.DatabaseNameFor("steady"), _ct);
        var dormant = await WriteFingerprints.TenantDatabaseAsync(postgres, cluster.DatabaseNameFor("dormant"), _ct);
        var kubernetes = WriteFingerprints.KubernetesWrites(cluster);
        var (steadyBefore, dormantBefore) = (results.Count("steady"), results.Count("dormant"));

        clock.JumpPastResync();
        await results.WaitResyncedAsync("steady", steadyBefore, _ct);
        await results.WaitResyncedAsync("dormant", dormantBefore, _ct);

        // Every write of a reconcile happens before it returns: nothing below may have changed.
        Assert.Equal(catalog, await WriteFingerprints.CatalogAsync(cluster, _ct));
        Assert.Equal(server, await own.ServerFingerprintAsync());
        Assert.Equal(steady, await WriteFingerprints.TenantDatabaseAsync(postgres, cluster.DatabaseNameFor("steady"), _ct));
        Assert.Equal(dormant, await WriteFingerprints.TenantDatabaseAsync(postgres, cluster.DatabaseNameFor("dormant"), _ct));
        Assert.Equal(kubernetes, WriteFingerprints.KubernetesWrites(cluster));
    }

    [Fact]
    public async Task A_role_re_created_by_hand_without_the_tenants_mark_is_not_adopted_and_the_conflict_is_named()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var clock = new ResyncClock();
        var (world, results) = Start(cluster, clock);
        var own = new OwnershipWorld(cluster, postgres);
        var database = cluster.DatabaseNameFor("squatted");
        var (row, _) = await ProvisionAsync(world, results, "squatted");
        await own.AsSuperuserInAsync<int>(database, $"DROP OWNED BY \"{database}\"; SELECT 1");
        await using (var swap = postgres.Admin.CreateCommand($"DROP ROLE \"{database}\"; CREATE ROLE \"{database}\" LOGIN PASSWORD 'someone-elses' CONNECTION LIMIT 2"))
        {
            await swap.ExecuteNonQueryAsync(_ct);
        }

        var server = await own.ServerFingerprintAsync();
        clock.JumpPastResync();
        var blocked = await world.WaitForReasonAsync("squatted", TenantReadyReason.DatabaseConflict);

        Assert.Contains("without this tenant's ownership mark", LifecycleWorld.Ready(blocked)!.Message, StringComparison.Ordinal);
        Assert.Equal(server, await own.ServerFingerprintAsync());
        Assert.Equal((true, true, 2), await world.RoleAsync(database));

        // FailAsync writes the condition last: the catalog's error event is there once the condition is seen.
        var events = await world.EventsAsync(row);
        Assert.DoesNotContain(events, e => e.Type == "drift_repaired");
        Assert.Contains(events, e => e.Type == "error" && e.Payload!.Contains("DatabaseConflict", StringComparison.Ordinal));
    }

    private (LifecycleWorld World, ResultLog Results) Start(OperatorTestCluster cluster, ResyncClock clock)
    {
        var results = new ResultLog();
        results.StartOperator(cluster, clock);
        return (new LifecycleWorld(cluster, postgres), results);
    }

    /// <summary>Provisions a tenant, waits until its reconciles settle, and returns its catalog id and generated password.</summary>
    private async Task<(Guid Row, string Password)> ProvisionAsync(LifecycleWorld world, ResultLog results, string name, Action<TenantSpec>? spec = null)
    {
        await world.Cluster.CreateTenantAsync(name, spec, _ct);
        await world.WaitForAsync(name, OperatorTestCluster.IsConverged, "Active");
        await results.WaitSettledAsync(name, _ct);
        var row = Assert.Single(await world.CatalogRowsAsync(name)).Id;
        Assert.DoesNotContain(await world.EventsAsync(row), e => e.Type == "drift_repaired");
        return (row, (await world.GeneratedPasswordAsync(name))!);
    }

    /// <summary>The one drift_repaired event of the tenant, as JSON.</summary>
    private static async Task<JsonElement> SingleRepairAsync(LifecycleWorld world, Guid row)
    {
        var repair = Assert.Single(await world.EventsAsync(row), e => e.Type == "drift_repaired");
        Assert.Equal("controlplane-operator/test", repair.Actor);
        return JsonDocument.Parse(repair.Payload!).RootElement.Clone();
    }

    private static List<string> Strings(JsonElement payload, string property) =>
        [.. payload.GetProperty(property).EnumerateArray().Select(e => e.GetString()!)];
}
