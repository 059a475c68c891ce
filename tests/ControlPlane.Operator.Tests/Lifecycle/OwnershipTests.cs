using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// Issue 12, breach 1: a Tenant author reaches only what the operator created for that very tenant. Each test is the
/// attack as reproduced on the release before ownership marks (where it succeeded), asserted on the world.
/// </summary>
public sealed class OwnershipTests(PostgresFixture postgres)
{
    private const string Intruders = "intruders";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_tenant_of_another_namespace_or_with_another_slug_naming_a_retained_database_is_refused_and_its_deletion_leaves_data_role_and_secret()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .Before((c, _) => new OwnershipWorld(c, postgres).CreateNamespaceAsync(Intruders))
            .WithTenant("ta", s => s.DeletionPolicy = DeletionPolicies.Retain)
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var own = new OwnershipWorld(cluster, postgres);
        var database = cluster.DatabaseNameFor("ta");
        var password = (await world.GeneratedPasswordAsync("ta"))!;
        await world.QueryAsTenantAsync<int>(database, password, "INSERT INTO accounts (code, name, kind) VALUES ('42', 'Ledger', 'asset'); SELECT 1");
        await cluster.DeleteTenantAsync("ta", _ct);
        await world.WaitForGoneAsync("ta");
        var retained = await own.ServerFingerprintAsync();

        // Same slug from another namespace, then another slug from the tenant's own namespace, both with policy Delete
        // (one after the other: while one holds a live catalog row for the name, the other is a DatabaseNameConflict).
        await own.CreateTenantInAsync(Intruders, "ta", s => (s.Database!.Name, s.DeletionPolicy) = (database, DeletionPolicies.Delete));
        var foreign = await own.WaitForReasonInAsync(Intruders, "ta", TenantReadyReason.DatabaseConflict);
        Assert.Equal(retained, await own.ServerFingerprintAsync());
        Assert.NotEqual(TenantPhases.Active, foreign.Status.Phase);
        await own.DeleteAndWaitGoneAsync(Intruders, "ta");
        Assert.Equal(retained, await own.ServerFingerprintAsync());

        await cluster.CreateTenantAsync("tb", s => (s.Database!.Name, s.DeletionPolicy) = (database, DeletionPolicies.Delete), _ct);
        var sibling = await world.WaitForReasonAsync("tb", TenantReadyReason.DatabaseConflict);
        Assert.Equal(retained, await own.ServerFingerprintAsync());
        Assert.NotEqual(TenantPhases.Active, sibling.Status.Phase);
        Assert.Null(await world.GeneratedPasswordAsync("tb"));
        await cluster.DeleteTenantAsync("tb", _ct);
        await world.WaitForGoneAsync("tb");

        Assert.Equal(retained, await own.ServerFingerprintAsync());
        Assert.Equal(42, await own.AsSuperuserInAsync<int>(database, "SELECT code::int FROM accounts WHERE name = 'Ledger'"));
        Assert.Equal((true, false), ((await world.RoleAsync(database)).Exists, (await world.RoleAsync(database)).Login));
        Assert.Equal(password, await world.GeneratedPasswordAsync("ta"));
    }

    [Fact]
    public async Task A_database_owned_by_a_stranger_role_of_the_same_name_is_never_re_passworded_or_dropped()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var own = new OwnershipWorld(cluster, postgres);
        var name = cluster.DatabaseNameFor("squat");
        const string strangerPassword = "Str4ngerPassw0rdNotTheOperators";
        await own.AsServerAdminAsync($"CREATE ROLE {name} LOGIN PASSWORD '{strangerPassword}'");
        await own.AsServerAdminAsync($"GRANT {name} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE");
        await own.AsServerAdminAsync($"CREATE DATABASE {name} OWNER {name}");
        await world.QueryAsTenantAsync<int>(name, strangerPassword, "CREATE TABLE accounts (v int); INSERT INTO accounts VALUES (7); SELECT 1");
        var before = await own.ServerFingerprintAsync();
        cluster.StartOperator();

        await cluster.CreateTenantAsync("squat", s => s.DeletionPolicy = DeletionPolicies.Delete, _ct);
        await world.WaitForReasonAsync("squat", TenantReadyReason.DatabaseConflict);
        Assert.Null(await world.GeneratedPasswordAsync("squat"));
        await cluster.DeleteTenantAsync("squat", _ct);
        await world.WaitForGoneAsync("squat");

        Assert.Equal(before, await own.ServerFingerprintAsync());
        Assert.Equal(7, await world.QueryAsTenantAsync<int>(name, strangerPassword, "SELECT v FROM accounts"));
    }
}
