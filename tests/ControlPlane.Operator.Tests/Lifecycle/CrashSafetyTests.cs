using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using k8s;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// An operator dies right after each step of provisioning and of deletion; a fresh operator (no memory of the first)
/// takes over. The world must converge with nothing duplicated or orphaned.
/// </summary>
public sealed class CrashSafetyTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public static TheoryData<string> ProvisioningSteps => [.. Provisioning.ProvisioningSteps.Provisioning];

    public static TheoryData<string> DeletionSteps => [.. Provisioning.ProvisioningSteps.Deletion];

    [Theory]
    [MemberData(nameof(ProvisioningSteps))]
    public async Task A_crash_after_any_provisioning_step_converges_to_exactly_one_of_everything(string step)
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var crash = new CrashAtStep(step);
        var first = cluster.StartOperator(faults: crash);
        await cluster.CreateTenantAsync("acme", cancellationToken: _ct);
        await crash.Crashed.Task.WaitAsync(TimeSpan.FromSeconds(60), _ct);
        await first.StopAsync();

        cluster.StartOperator();
        var acme = await world.WaitForAsync("acme", OperatorTestCluster.IsConverged, $"Active after a crash at {step}");

        var row = Assert.Single(await world.CatalogRowsAsync("acme"));
        Assert.Equal(acme.Status.TenantId, row.Id.ToString());
        var types = (await world.EventsAsync(row.Id)).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "provisioned"));
        Assert.Equal(1, types.Count(t => t == "migrated"));
        var database = cluster.DatabaseNameFor("acme");
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(database, (await world.GeneratedPasswordAsync("acme"))!, "SELECT 1"));
        Assert.Single((await cluster.Client.CoreV1.ListNamespacedSecretAsync(OperatorTestCluster.SecretNamespace, labelSelector: "controlplane.econt.io/tenant=acme", cancellationToken: _ct)).Items);
    }

    [Theory]
    [MemberData(nameof(DeletionSteps))]
    public async Task A_crash_after_any_deletion_step_still_removes_everything_once(string step)
    {
        var crash = new CrashAtStep(step);
        await using var run = await LifecycleSetup.For(postgres)
            .WithOperator(faults: crash)
            .WithTenant("acme", s => s.DeletionPolicy = DeletionPolicies.Delete)
            .StartAsync(_ct);
        var (cluster, world, first) = (run.Cluster, run.World, run.Operator);
        await cluster.DeleteTenantAsync("acme", _ct);
        await crash.Crashed.Task.WaitAsync(TimeSpan.FromSeconds(60), _ct);
        await first.StopAsync();

        cluster.StartOperator();
        await world.WaitForGoneAsync("acme");

        var database = cluster.DatabaseNameFor("acme");
        Assert.False(await world.DatabaseExistsAsync(database));
        Assert.False((await world.RoleAsync(database)).Exists);
        Assert.Null(await world.GeneratedPasswordAsync("acme"));
        var row = Assert.Single(await world.CatalogRowsAsync("acme"));
        Assert.Equal(("deleted", true), (row.Status, row.Deleted));
        var types = (await world.EventsAsync(row.Id)).Select(e => e.Type).ToList();
        Assert.Equal(1, types.Count(t => t == "deleted"));
        Assert.Equal(1, types.Count(t => t == "deleting"));
    }
}
