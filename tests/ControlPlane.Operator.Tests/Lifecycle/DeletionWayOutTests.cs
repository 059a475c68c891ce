using System.Text.Json;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Npgsql;
using Reasons = ControlPlane.Operator.Api.V1Alpha1.TenantReadyReason;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// Issue 13, items 3 and 4, through the real operator on PostgreSQL 17: each way a deletion can be blocked ends with a
/// DeletionBlocked condition naming the cause and then, with the skip-cleanup annotation, released with a
/// cleanup_skipped catalog event; a failure that keeps repeating is named once in status and once in the catalog.
/// </summary>
public sealed class DeletionWayOutTests(PostgresFixture postgres)
{
    private const string Operator = "controlplane-operator/test";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_role_owning_objects_in_another_database_blocks_deletion_naming_that_database_until_skip_cleanup_releases_it()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .WithTenant("spread", s => s.DeletionPolicy = DeletionPolicies.Delete)
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("spread");
        var password = (await world.GeneratedPasswordAsync("spread"))!;

        // The tenant's own role, allowed to create in another database, leaves a table there.
        var elsewhere = cluster.DatabaseNameFor("elsewhere");
        await ExecuteAsync(postgres.AdminConnectionString, $"CREATE DATABASE {elsewhere}");
        await ExecuteAsync(InDatabase(postgres.AdminConnectionString, elsewhere), $"GRANT CREATE ON SCHEMA public TO {database}");
        await ExecuteAsync(cluster.TenantServer.LoginAs(database, password, elsewhere).ConnectionString, "CREATE TABLE public.ledger_copy (id int)");

        await cluster.DeleteTenantAsync("spread", _ct);
        var blocked = await world.WaitForAsync("spread", t => LifecycleWorld.Ready(t)?.Reason == Reasons.DeletionBlocked.ToWire(), "DeletionBlocked");

        var message = LifecycleWorld.Ready(blocked)!.Message;
        Assert.Contains($"role {database} owns objects in database {elsewhere}", message, StringComparison.Ordinal);
        Assert.Contains("REASSIGN OWNED", message, StringComparison.Ordinal);
        Assert.Contains(Tenant.SkipCleanupAnnotation, message, StringComparison.Ordinal);
        Assert.False(await world.DatabaseExistsAsync(database));
        Assert.Equal((true, false), ((await world.RoleAsync(database)).Exists, (await world.RoleAsync(database)).Login));
        var row = Assert.Single(await world.CatalogRowsAsync("spread"));
        Assert.Equal("deleting", row.Status);
        Assert.Single(await world.EventsAsync(row.Id), e => e.Type == "error" && e.Payload!.Contains(Reasons.DeletionBlocked.ToWire(), StringComparison.Ordinal));

        await AnnotateAsync(cluster, "spread", "ledger_copy belongs to finance; ticket FIN-12");
        await world.WaitForGoneAsync("spread");

        var deleted = Assert.Single(await world.CatalogRowsAsync("spread"));
        Assert.Equal(("deleted", true), (deleted.Status, deleted.Deleted));
        var skipped = Assert.Single(await world.EventsAsync(deleted.Id), e => e.Type == "cleanup_skipped");
        Assert.Equal(Operator, skipped.Actor);
        using var payload = JsonDocument.Parse(skipped.Payload!);
        Assert.Equal("ledger_copy belongs to finance; ticket FIN-12", payload.RootElement.GetProperty("reason").GetString());
        Assert.Contains(elsewhere, payload.RootElement.GetProperty("cause").GetString(), StringComparison.Ordinal);
        Assert.Contains($"role {database}", payload.RootElement.GetProperty("left")[0].GetString(), StringComparison.Ordinal);

        // The role is left locked with what it owns elsewhere, and its secret stays with it (docs/lifecycle.md).
        Assert.Equal((true, false), ((await world.RoleAsync(database)).Exists, (await world.RoleAsync(database)).Login));
        Assert.NotNull(await world.GeneratedPasswordAsync("spread"));
        await ExecuteAsync(postgres.AdminConnectionString, $"DROP DATABASE {elsewhere} WITH (FORCE)");
        await ExecuteAsync(postgres.AdminConnectionString, $"DROP ROLE {database}");
    }

    [Fact]
    public async Task A_tenant_whose_server_was_removed_from_the_configuration_is_blocked_by_name_until_skip_cleanup_releases_it()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var first = cluster.StartOperator(o =>
        {
            var current = o.TenantDatabaseServers["default"];
            o.TenantDatabaseServers["old"] = new TenantDatabaseServerOptions
            {
                Host = current.Host,
                Port = current.Port,
                AdminUser = current.AdminUser,
                AdminSecretRef = current.AdminSecretRef,
            };
        });
        var database = cluster.DatabaseNameFor("moved");
        await cluster.CreateTenantAsync("moved", s => (s.DeletionPolicy, s.Database!.Server) = (DeletionPolicies.Delete, "old"), _ct);
        await world.WaitForAsync("moved", OperatorTestCluster.IsConverged, "Active on server 'old'");

        // The server leaves the configuration: the next operator knows only 'default'.
        await first.StopAsync();
        cluster.StartOperator();
        await cluster.DeleteTenantAsync("moved", _ct);
        var blocked = await world.WaitForAsync("moved", t => LifecycleWorld.Ready(t)?.Reason == Reasons.DeletionBlocked.ToWire(), "DeletionBlocked");

        var message = LifecycleWorld.Ready(blocked)!.Message;
        Assert.Contains("Database server 'old' is no longer in the operator's configuration", message, StringComparison.Ordinal);
        Assert.Contains(Tenant.SkipCleanupAnnotation, message, StringComparison.Ordinal);
        var row = Assert.Single(await world.CatalogRowsAsync("moved"));
        Assert.Single(await world.EventsAsync(row.Id), e => e.Type == "error" && e.Payload!.Contains(Reasons.DeletionBlocked.ToWire(), StringComparison.Ordinal));

        await AnnotateAsync(cluster, "moved", "server old decommissioned, data archived");
        await world.WaitForGoneAsync("moved");

        var deleted = Assert.Single(await world.CatalogRowsAsync("moved"));
        Assert.True(deleted.Deleted);
        var skipped = Assert.Single(await world.EventsAsync(deleted.Id), e => e.Type == "cleanup_skipped");
        Assert.Contains("no longer in the operator's configuration", skipped.Payload, StringComparison.Ordinal);

        // deletionPolicy Delete: the generated secret goes; the database the operator could not reach stays (orphaned).
        Assert.Null(await world.GeneratedPasswordAsync("moved"));
        Assert.True(await world.DatabaseExistsAsync(database));
        await ExecuteAsync(postgres.AdminConnectionString, $"DROP DATABASE {database} WITH (FORCE)");
    }

    [Fact]
    public async Task A_tenant_whose_server_is_down_for_good_is_blocked_with_the_time_it_failed_since_until_skip_cleanup_releases_it()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        await using var gate = await TcpGate.StartAsync(cluster.TenantServerEndpoint, _ct);
        gate.Open();
        cluster.StartOperator(o => (o.TenantDatabaseServers["default"].Host, o.TenantDatabaseServers["default"].Port) = ("127.0.0.1", gate.Port));
        var database = cluster.DatabaseNameFor("lost");
        await cluster.CreateTenantAsync("lost", s => s.DeletionPolicy = DeletionPolicies.Delete, _ct);
        await world.WaitForAsync("lost", OperatorTestCluster.IsConverged, "Active");

        gate.Close();
        await cluster.DeleteTenantAsync("lost", _ct);
        var blocked = await world.WaitForAsync("lost", t => LifecycleWorld.Ready(t)?.Reason == Reasons.DeletionBlocked.ToWire(), "DeletionBlocked");

        var message = LifecycleWorld.Ready(blocked)!.Message;
        Assert.Matches(@"has failed since \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z", message);
        Assert.Contains("unreachable", message, StringComparison.Ordinal);
        Assert.Contains(Tenant.SkipCleanupAnnotation, message, StringComparison.Ordinal);

        // Retries go on (backoff) and say nothing new: the one condition, one catalog error event.
        var row = Assert.Single(await world.CatalogRowsAsync("lost"));
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(WarningCount(cluster, "lost", Reasons.DeletionBlocked.ToWire()) >= 2), TimeSpan.FromSeconds(60), "a retry after the condition", _ct);
        Assert.Equal(message, LifecycleWorld.Ready((await cluster.GetTenantAsync("lost", _ct))!)!.Message);
        Assert.Single(await world.EventsAsync(row.Id), e => e.Type == "error");

        await AnnotateAsync(cluster, "lost", "server lost with its disks");
        await world.WaitForGoneAsync("lost");

        var deleted = Assert.Single(await world.CatalogRowsAsync("lost"));
        Assert.True(deleted.Deleted);
        var skipped = Assert.Single(await world.EventsAsync(deleted.Id), e => e.Type == "cleanup_skipped");
        Assert.Contains("unreachable", skipped.Payload, StringComparison.Ordinal);
        Assert.Null(await world.GeneratedPasswordAsync("lost"));
        Assert.True(await world.DatabaseExistsAsync(database));
        await ExecuteAsync(postgres.AdminConnectionString, $"DROP DATABASE {database} WITH (FORCE)");
    }

    [Fact]
    public async Task The_annotation_on_a_live_tenant_changes_nothing_and_a_reachable_server_is_cleaned_up_fully_despite_it()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .WithTenant("tidy", s => s.DeletionPolicy = DeletionPolicies.Delete)
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("tidy");

        await AnnotateAsync(cluster, "tidy", "set too early");
        await Task.Delay(TimeSpan.FromSeconds(1), _ct);
        Assert.True(OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("tidy", _ct)));
        await cluster.DeleteTenantAsync("tidy", _ct);
        await world.WaitForGoneAsync("tidy");

        Assert.False(await world.DatabaseExistsAsync(database));
        Assert.False((await world.RoleAsync(database)).Exists);
        Assert.Null(await world.GeneratedPasswordAsync("tidy"));
        var deleted = Assert.Single(await world.CatalogRowsAsync("tidy"));
        Assert.DoesNotContain(await world.EventsAsync(deleted.Id), e => e.Type == "cleanup_skipped");
    }

    [Fact]
    public async Task A_failure_no_reason_names_that_keeps_repeating_sets_Ready_False_ReconcileFailed_with_one_catalog_error_event()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var fault = new FailingAfter(ProvisioningSteps.Registered);
        cluster.StartOperator(faults: fault);

        await cluster.CreateTenantAsync("stuck", cancellationToken: _ct);
        var stuck = await world.WaitForAsync("stuck", t => LifecycleWorld.Ready(t)?.Reason == Reasons.ReconcileFailed.ToWire(), "ReconcileFailed");
        var shownAt = fault.Count;

        Assert.True(shownAt >= 3, $"shown after {shownAt} failures, the threshold is 3");
        Assert.Contains("InvalidOperationException: injected failure after registered", LifecycleWorld.Ready(stuck)!.Message, StringComparison.Ordinal);
        await OperatorTestCluster.WaitUntilAsync(() => Task.FromResult(fault.Count >= shownAt + 3), TimeSpan.FromSeconds(60), "three more retries", _ct);
        var row = Assert.Single(await world.CatalogRowsAsync("stuck"));
        var errors = (await world.EventsAsync(row.Id)).Where(e => e.Type == "error").ToList();
        Assert.Single(errors);
        Assert.Contains(Reasons.ReconcileFailed.ToWire(), errors[0].Payload, StringComparison.Ordinal);

        // Once the cause is gone the tenant converges by itself, and the incident ends.
        fault.Stop();
        await world.WaitForAsync("stuck", OperatorTestCluster.IsConverged, "Active once the failure stopped");
        Assert.Single(await world.EventsAsync(row.Id), e => e.Type == "error");
    }

    private async Task AnnotateAsync(OperatorTestCluster cluster, string name, string reason)
    {
        var patch = JsonSerializer.Serialize(new { metadata = new { annotations = new Dictionary<string, string> { [Tenant.SkipCleanupAnnotation] = reason } } });
        await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(patch, V1Patch.PatchType.MergePatch), Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, name,
            cancellationToken: _ct);
    }

    private static int WarningCount(OperatorTestCluster cluster, string name, string reason) =>
        cluster.Server.ListEvents(OperatorTestCluster.TenantNamespace)
            .Where(e => (string?)e["involvedObject"]!["name"] == name && (string?)e["reason"] == reason)
            .Sum(e => (int?)e["count"] ?? 1);

    private static string InDatabase(string connectionString, string database) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Database = database }.ConnectionString;

    private async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(_ct);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(_ct);
    }

    /// <summary>Fails every reconcile right after one step with an exception no reason names, until stopped; counts the failures.</summary>
    private sealed class FailingAfter(string step) : IProvisioningFaults
    {
        private int _count;
        private volatile bool _stopped;

        public int Count => Volatile.Read(ref _count);

        public void Stop() => _stopped = true;

        public ValueTask AfterAsync(string reached, CancellationToken cancellationToken)
        {
            if (reached == step && !_stopped)
            {
                Interlocked.Increment(ref _count);
                throw new InvalidOperationException($"injected failure after {step}");
            }

            return ValueTask.CompletedTask;
        }
    }
}
