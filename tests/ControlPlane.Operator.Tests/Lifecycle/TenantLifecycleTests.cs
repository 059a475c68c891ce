using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>The whole lifecycle through the real operator, asserted on the world: server, catalog, secrets, CR.</summary>
public sealed class TenantLifecycleTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Applying_a_tenant_provisions_a_locked_down_migrated_database_and_tells_the_story_everywhere()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .WithTenant("acme", s => s.Limits = new TenantLimits { MaxConnections = 5, MaxUsers = 30, MaxDbSizeMb = 2048 })
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("acme");
        var acme = run.Tenants["acme"];

        // The database and its lockdown.
        var password = await world.GeneratedPasswordAsync("acme");
        Assert.NotNull(password);
        Assert.True(password.Length >= 32);
        Assert.Equal((true, true, 5), await world.RoleAsync(database));
        Assert.Equal("2", await world.QueryAsTenantAsync<string>(database, password, "SELECT max(version) FROM econt_schema_changelog WHERE type = 0"));
        Assert.Equal(1L, await world.QueryAsTenantAsync<long>(database, password, "SELECT count(*) FROM pg_extension WHERE extname = 'pgcrypto'"));
        Assert.False(await world.QueryAsTenantAsync<bool>(database, password, "SELECT bool_or(grantee = 0) FROM pg_database d, aclexplode(d.datacl) WHERE d.datname = current_database()"));

        // The catalog: one live active row at version 2, with its story and its limits.
        var row = Assert.Single(await world.CatalogRowsAsync("acme"));
        Assert.Equal(("active", "2", false), (row.Status, row.Schema, row.Deleted));
        var events = await world.EventsAsync(row.Id);
        Assert.Single(events, e => e.Type == "provisioned");
        Assert.Contains(events, e => e.Type == "migrated" && e.Payload == """{"to": "2", "from": null}""");
        Assert.Contains(events, e => e.Type == "status_changed" && e.Payload == """{"to": "active", "from": "provisioning"}""");
        Assert.All(events, e => Assert.Equal("controlplane-operator/test", e.Actor));
        Assert.Contains($"({row.Id},2048,30,,", await world.CatalogDumpAsync(), StringComparison.Ordinal);

        // The resource.
        Assert.Equal((TenantPhases.Active, "2", row.Id.ToString()), (acme.Status.Phase, acme.Status.SchemaVersion, acme.Status.TenantId));
        Assert.Equal((database, database, "default"), (acme.Status.Database!.Name, acme.Status.Database.User, acme.Status.Database.Server));
        Assert.Equal($"k8s:{OperatorTestCluster.SecretNamespace}/tenant-acme-db#password", acme.Status.SecretRef);
        Assert.Contains(TenantReadyReason.Provisioned.ToWire(), world.KubernetesEventReasons("acme"));
    }

    [Fact]
    public async Task Suspension_ends_sessions_and_blocks_logins_and_resuming_restores_exactly_what_was_there()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("pause").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("pause");
        var password = (await world.GeneratedPasswordAsync("pause"))!;
        await world.QueryAsTenantAsync<int>(database, password, "INSERT INTO accounts (code, name, kind) VALUES ('42', 'Keep', 'asset'); SELECT 1");
        await using var session = new NpgsqlConnection(cluster.TenantServer.LoginAs(database, password, database).ConnectionString);
        await session.OpenAsync(_ct);

        await cluster.UpdateSpecAsync("pause", s => (s.Suspended, s.SuspendedReason) = (true, "Invoice 42 unpaid."), _ct);
        var suspended = await world.WaitForAsync("pause", t => t.Status.Phase == TenantPhases.Suspended, "Suspended");

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => new NpgsqlCommand("SELECT 1", session).ExecuteScalarAsync(_ct));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => world.QueryAsTenantAsync<int>(database, password, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState);
        Assert.Equal("Suspended: Invoice 42 unpaid.", LifecycleWorld.Ready(suspended)!.Message);
        var row = Assert.Single(await world.CatalogRowsAsync("pause"));
        Assert.Equal(("suspended", "Invoice 42 unpaid."), (row.Status, row.Reason));

        await cluster.UpdateSpecAsync("pause", s => (s.Suspended, s.SuspendedReason) = (false, null), _ct);
        await world.WaitForAsync("pause", OperatorTestCluster.IsConverged, "Active again");

        Assert.Equal(42, await world.QueryAsTenantAsync<int>(database, password, "SELECT code::int FROM accounts WHERE name = 'Keep'"));
        row = Assert.Single(await world.CatalogRowsAsync("pause"));
        Assert.Equal(("active", null), (row.Status, row.Reason));
        var types = (await world.EventsAsync(row.Id)).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "suspended"));
        Assert.Equal(1, types.Count(t => t == "resumed"));
    }

    [Fact]
    public async Task A_tenant_created_suspended_is_provisioned_and_migrated_but_nobody_can_log_in()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .WithTenant("dormant", s => (s.Suspended, s.SuspendedReason) = (true, "Awaiting the first payment."), t => t.Status.Phase == TenantPhases.Suspended, "Suspended")
            .StartAsync(_ct);
        var world = run.World;
        var database = run.Cluster.DatabaseNameFor("dormant");
        var dormant = run.Tenants["dormant"];

        Assert.Equal("2", dormant.Status.SchemaVersion);
        Assert.Equal((true, false), ((await world.RoleAsync(database)).Exists, (await world.RoleAsync(database)).Login));
        var row = Assert.Single(await world.CatalogRowsAsync("dormant"));
        Assert.Equal(("suspended", "2", "Awaiting the first payment."), (row.Status, row.Schema, row.Reason));
        var types = (await world.EventsAsync(row.Id)).Select(e => e.Type).ToList();
        Assert.Equal(["provisioned", "suspended"], types.Where(t => t is "provisioned" or "suspended"));
    }

    [Fact]
    public async Task Raising_the_schema_version_migrates_forward_and_lowering_it_is_refused_without_touching_the_data()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("ledger", s => s.SchemaVersion = "1", what: "Active at 1").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        Assert.Equal("1", run.Tenants["ledger"].Status.SchemaVersion);

        await cluster.UpdateSpecAsync("ledger", s => s.SchemaVersion = "2", _ct);
        await world.WaitForAsync("ledger", t => OperatorTestCluster.IsConverged(t) && t.Status.SchemaVersion == "2", "Active at 2");
        await cluster.UpdateSpecAsync("ledger", s => s.SchemaVersion = "1", _ct);
        var refused = await world.WaitForReasonAsync("ledger", TenantReadyReason.SchemaDowngradeRefused);

        var row = Assert.Single(await world.CatalogRowsAsync("ledger"));
        Assert.Equal("2", row.Schema);
        Assert.Equal(TenantPhases.Active, refused.Status.Phase);
        Assert.Contains((await world.EventsAsync(row.Id)), e => e.Type == "migrated" && e.Payload == """{"to": "2", "from": "1"}""");
        Assert.Contains((await world.EventsAsync(row.Id)), e => e.Type == "error" && e.Payload!.Contains(TenantReadyReason.SchemaDowngradeRefused.ToWire(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Deleting_with_policy_Delete_drops_everything_and_frees_the_slug_for_a_new_tenant()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .WithTenant("gone", s => s.DeletionPolicy = DeletionPolicies.Delete)
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("gone");
        var first = run.Tenants["gone"];

        await cluster.DeleteTenantAsync("gone", _ct);
        await world.WaitForGoneAsync("gone");

        Assert.False(await world.DatabaseExistsAsync(database));
        Assert.False((await world.RoleAsync(database)).Exists);
        Assert.Null(await world.GeneratedPasswordAsync("gone"));
        var deleted = Assert.Single(await world.CatalogRowsAsync("gone"));
        Assert.Equal(("deleted", true), (deleted.Status, deleted.Deleted));
        var types = (await world.EventsAsync(deleted.Id)).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "deleting"));
        Assert.Equal(1, types.Count(t => t == "deleted"));

        await cluster.CreateTenantAsync("gone", s => s.DeletionPolicy = DeletionPolicies.Delete, _ct);
        var second = await world.WaitForAsync("gone", OperatorTestCluster.IsConverged, "Active again");

        Assert.NotEqual(first.Status.TenantId, second.Status.TenantId);
        Assert.True(await world.DatabaseExistsAsync(database));
        Assert.Equal(2, (await world.CatalogRowsAsync("gone")).Count);
    }

    [Fact]
    public async Task Deleting_with_policy_Retain_keeps_database_and_secret_but_nobody_can_log_in()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("kept").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("kept");

        await cluster.DeleteTenantAsync("kept", _ct);
        await world.WaitForGoneAsync("kept");

        Assert.True(await world.DatabaseExistsAsync(database));
        Assert.Equal((true, false), ((await world.RoleAsync(database)).Exists, (await world.RoleAsync(database)).Login));
        Assert.NotNull(await world.GeneratedPasswordAsync("kept"));
        Assert.Equal(("deleted", true), (Assert.Single(await world.CatalogRowsAsync("kept")).Status, Assert.Single(await world.CatalogRowsAsync("kept")).Deleted));
    }

    [Fact]
    public async Task A_second_tenant_claiming_a_taken_slug_or_database_name_is_refused_and_touches_nothing()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("first").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("first");
        var password = (await world.GeneratedPasswordAsync("first"))!;

        await cluster.CreateTenantAsync("copycat", s => (s.Slug, s.Database!.Name) = ("first", cluster.DatabaseNameFor("copycat")), _ct);
        await cluster.CreateTenantAsync("squatter", s => s.Database!.Name = database, _ct);
        var copycat = await world.WaitForReasonAsync("copycat", TenantReadyReason.SlugConflict);
        var squatter = await world.WaitForReasonAsync("squatter", TenantReadyReason.DatabaseNameConflict);

        Assert.Equal((TenantPhases.Provisioning, null), (copycat.Status.Phase, copycat.Status.TenantId));
        Assert.Null(squatter.Status.TenantId);
        Assert.False(await world.DatabaseExistsAsync(cluster.DatabaseNameFor("copycat")));
        Assert.Null(await world.GeneratedPasswordAsync("squatter"));
        Assert.Single(await world.CatalogRowsAsync("first"));
        Assert.Empty(await world.CatalogRowsAsync("squatter"));
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(database, password, "SELECT 1"));
    }

    [Fact]
    public async Task A_database_dropped_by_hand_is_recreated_on_the_next_reconcile_instead_of_looping_on_errors()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("drift").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("drift");
        await using (var drop = postgres.Admin.CreateCommand($"DROP DATABASE \"{database}\" WITH (FORCE)"))
        {
            await drop.ExecuteNonQueryAsync(_ct);
        }

        await cluster.UpdateSpecAsync("drift", s => s.DisplayName = "Drift, renamed", _ct);
        await world.WaitForAsync("drift", t => OperatorTestCluster.IsConverged(t) && t.Status.ObservedGeneration == 2, "Active at generation 2");

        Assert.True(await world.DatabaseExistsAsync(database));
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(database, (await world.GeneratedPasswordAsync("drift"))!, "SELECT 1"));
    }

    [Fact]
    public async Task A_tenant_whose_server_is_down_reports_it_backs_off_and_recovers_by_itself_when_the_server_returns()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        await using var gate = await TcpGate.StartAsync(cluster.TenantServerEndpoint, _ct);
        cluster.StartOperator(o => (o.TenantDatabaseServers["default"].Host, o.TenantDatabaseServers["default"].Port) = ("127.0.0.1", gate.Port));

        await cluster.CreateTenantAsync("outage", cancellationToken: _ct);
        var down = await world.WaitForReasonAsync("outage", TenantReadyReason.DatabaseServerUnavailable);
        Assert.Contains($"127.0.0.1:{gate.Port}", LifecycleWorld.Ready(down)!.Message, StringComparison.Ordinal);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(world.KubernetesEventReasons("outage").Contains(TenantReadyReason.DatabaseServerUnavailable.ToWire())),
            TimeSpan.FromSeconds(60), "a DatabaseServerUnavailable Warning event", _ct);

        // The server is checked before the first write of a new tenant: an outage leaves no catalog row behind.
        Assert.Empty(await world.CatalogRowsAsync("outage"));

        gate.Open();
        await world.WaitForAsync("outage", OperatorTestCluster.IsConverged, "Active after the server returned");
        var row = Assert.Single(await world.CatalogRowsAsync("outage"));
        Assert.DoesNotContain(await world.EventsAsync(row.Id), e => e.Type == "error");
    }
}
