using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// Issue 13, item 1: status is a cache. A Tenant whose status is lost (restore, re-creation from Git) finds its catalog
/// row through the owner the catalog records, and converges on it with no DDL, no new Secret and no new provisioning.
/// </summary>
public sealed class StatusCacheTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tenant_whose_status_is_wiped_returns_to_Ready_on_its_own_row_with_no_DDL_and_no_new_catalog_event()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("wiped").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var own = new OwnershipWorld(cluster, postgres);
        var before = run.Tenants["wiped"];
        var row = Assert.Single(await world.CatalogRowsAsync("wiped"));
        var events = await world.EventsAsync(row.Id);
        var server = await own.ServerFingerprintAsync();
        var secrets = await own.SecretsFingerprintAsync();

        before.Status = new TenantStatus();
        var wiped = await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync<Tenant>(
            before, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, "wiped", cancellationToken: _ct);
        Assert.Null(wiped.Status?.TenantId);

        var after = await world.WaitForAsync("wiped", t => OperatorTestCluster.IsConverged(t) && t.Status.TenantId == row.Id.ToString(), "Ready on its own row");

        Assert.Equal((TenantPhases.Active, "2"), (after.Status.Phase, after.Status.SchemaVersion));
        Assert.Equal(row.Id, Assert.Single(await world.CatalogRowsAsync("wiped")).Id);
        Assert.Equal(events, await world.EventsAsync(row.Id));
        Assert.Equal(server, await own.ServerFingerprintAsync());
        Assert.Equal(secrets, await own.SecretsFingerprintAsync());
    }

    [Fact]
    public async Task Fifty_tenants_removed_behind_the_operators_back_and_recreated_from_their_manifests_converge_on_their_rows_with_no_DDL()
    {
        const int count = 50;
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var own = new OwnershipWorld(cluster, postgres);
        var names = Enumerable.Range(0, count).Select(i => $"fleet-{i:D2}").ToList();
        var first = cluster.StartOperator();
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, s => s.BillingPlan = "standard", _ct);
        }

        var uids = new Dictionary<string, string>();
        foreach (var name in names)
        {
            uids[name] = (await world.WaitForAsync(name, OperatorTestCluster.IsConverged, "Active", seconds: 600)).Metadata.Uid;
        }

        var rows = new Dictionary<string, Guid>();
        foreach (var name in names)
        {
            rows[name] = Assert.Single(await world.CatalogRowsAsync(name)).Id;
        }

        var server = await own.ServerFingerprintAsync();
        var secrets = await own.SecretsFingerprintAsync();

        // A cluster rebuild: the operator is gone, the objects vanish without it seeing a deletion, Git re-creates them.
        await first.StopAsync();
        foreach (var name in names)
        {
            await cluster.Client.CustomObjects.PatchNamespacedCustomObjectAsync(
                new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch),
                Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, name, cancellationToken: _ct);
            await cluster.DeleteTenantAsync(name, _ct);
        }

        foreach (var name in names)
        {
            await world.WaitForGoneAsync(name);
            await cluster.CreateTenantAsync(name, s => s.BillingPlan = "standard", _ct);
        }

        cluster.StartOperator();
        foreach (var name in names)
        {
            var tenant = await world.WaitForAsync(name, t => OperatorTestCluster.IsConverged(t) && t.Status.TenantId == rows[name].ToString(), "Ready on its row", seconds: 600);
            Assert.NotEqual(uids[name], tenant.Metadata.Uid);
        }

        Assert.Equal(server, await own.ServerFingerprintAsync());
        Assert.Equal(secrets, await own.SecretsFingerprintAsync());
        foreach (var name in names)
        {
            Assert.Equal(rows[name], Assert.Single(await world.CatalogRowsAsync(name)).Id);
            var events = await world.EventsAsync(rows[name]);
            Assert.Single(events, e => e.Type == "provisioned");
            Assert.Single(events, e => e.Type == "owner_recorded");
        }

        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var owners = catalog.CreateCommand(
            "SELECT count(*) FROM control_plane.tenants WHERE owner_namespace = $1 AND deleted_at IS NULL AND owner_name LIKE 'fleet-%'");
        owners.Parameters.Add(new() { Value = OperatorTestCluster.TenantNamespace });
        Assert.Equal((long)count, await owners.ExecuteScalarAsync(_ct));
    }
}
