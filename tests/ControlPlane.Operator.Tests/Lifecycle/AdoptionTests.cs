using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>Retained data is taken over only by an explicit, audited request from the namespace that owned it.</summary>
public sealed class AdoptionTests(PostgresFixture postgres)
{
    private const string Intruders = "intruders";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Adopting_a_retained_database_works_from_its_namespace_is_audited_and_is_refused_from_another()
    {
        await using var run = await LifecycleSetup.For(postgres)
            .Before((c, _) => new OwnershipWorld(c, postgres).CreateNamespaceAsync(Intruders))
            .WithTenant("old")
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var own = new OwnershipWorld(cluster, postgres);
        var database = cluster.DatabaseNameFor("old");
        var old = run.Tenants["old"];
        var previous = old.Status.TenantId!;
        await world.QueryAsTenantAsync<int>(database, (await world.GeneratedPasswordAsync("old"))!, "INSERT INTO accounts (code, name, kind) VALUES ('42', 'Ledger', 'asset'); SELECT 1");
        await cluster.DeleteTenantAsync("old", _ct);
        await world.WaitForGoneAsync("old");
        var retained = await own.ServerFingerprintAsync();

        // The right id from the wrong namespace: refused, nothing touched, and deleting the request leaves it all.
        await own.CreateTenantInAsync(Intruders, "thief", s => (s.Database!.Name, s.Database.AdoptFrom, s.DeletionPolicy) = (database, previous, DeletionPolicies.Delete));
        var refused = await own.WaitForReasonInAsync(Intruders, "thief", TenantReadyReason.DatabaseConflict);
        Assert.Contains("adoptFrom", LifecycleWorld.Ready(refused)!.Message, StringComparison.Ordinal);
        await own.DeleteAndWaitGoneAsync(Intruders, "thief");
        Assert.Equal(retained, await own.ServerFingerprintAsync());

        // The owner's namespace asks for it explicitly: the data is the new tenant's, with its own password.
        await cluster.CreateTenantAsync("heir", s => (s.Database!.Name, s.Database.AdoptFrom) = (database, previous), _ct);
        var heir = await world.WaitForAsync("heir", OperatorTestCluster.IsConverged, "Active on the adopted database");

        Assert.Equal(42, await world.QueryAsTenantAsync<int>(database, (await world.GeneratedPasswordAsync("heir"))!, "SELECT code::int FROM accounts WHERE name = 'Ledger'"));
        var adopted = await world.EventsAsync(Guid.Parse(heir.Status.TenantId!));
        Assert.Contains(adopted, e => e.Type == "adopted" && e.Payload!.Contains($"\"from\": \"{previous}\"", StringComparison.Ordinal)
                                      && e.Payload.Contains("\"namespace\": \"tenants\"", StringComparison.Ordinal));
        Assert.Contains(await world.EventsAsync(Guid.Parse(previous)), e => e.Type == "adopted" && e.Payload!.Contains(heir.Status.TenantId!, StringComparison.Ordinal));
        Assert.Equal(1, adopted.Count(e => e.Type == "adopted"));
        Assert.All(await world.CatalogRowsAsync("thief"), row => Assert.Equal("deleted", row.Status));
    }
}
