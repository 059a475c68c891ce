using ControlPlane.Runtime;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Integration;

public sealed class LeaderElectionTests(PostgresFixture postgres)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(250);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_two_instances_exactly_one_reconciles_and_the_other_takes_over_only_after_the_lease_expired()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var leases = await LeaseHistory.StartAsync(cluster.Client, _ct);
        var reconcilers = new[] { new RecordingReconciler(TimeSpan.Zero), new RecordingReconciler(TimeSpan.Zero) };
        var instances = reconcilers.Select((reconciler, i) => cluster.StartRuntime(
            o =>
            {
                o.LeaderElection.Enabled = true;
                o.LeaderElection.Identity = $"operator-{i}";
                o.LeaderElection.LeaseDuration = LeaseDuration;
                o.LeaderElection.RenewDeadline = TimeSpan.FromSeconds(1);
                o.LeaderElection.RetryPeriod = RetryPeriod;
            },
            () => reconciler)).ToArray();

        var names = new[] { "t1", "t2", "t3", "t4" };
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(reconcilers.Any(r => names.All(r.Calls.ContainsKey))), TimeSpan.FromSeconds(60), "one instance reconciled every tenant", _ct);
        var leader = Array.FindIndex(reconcilers, r => names.All(r.Calls.ContainsKey));
        var standby = 1 - leader;
        await Task.Delay(RetryPeriod * 4, _ct);

        Assert.True(instances[leader].Operator.Leadership.IsLeader);
        Assert.False(instances[standby].Operator.Leadership.IsLeader);
        Assert.Equal(0, reconcilers[standby].Total);
        Assert.True(instances[standby].Operator.Informer.HasSynced, "the standby keeps its cache warm");

        // The lease is not released on stop: the successor waits for it to expire (how long that takes on a loaded
        // machine is not the point; that it never overlaps with the old leader is).
        await instances[leader].StopAsync();
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(instances[standby].Operator.Leadership.IsLeader), TimeSpan.FromSeconds(60), "the standby took over", _ct);

        // The new leader resyncs every tenant it has cached, and handles new ones.
        await cluster.CreateTenantAsync("t5", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(names.Append("t5").All(reconcilers[standby].Calls.ContainsKey)), TimeSpan.FromSeconds(60), "the new leader converged", _ct);
        Assert.False(reconcilers[leader].Calls.ContainsKey("t5"));

        // Order, not speed: the standby's first reconcile started after the old leader's last one ended, and each
        // reconciled only under a lease renewal of its own that was still unexpired.
        Assert.True(reconcilers[standby].Spans.Min(s => s.Started) > reconcilers[leader].Spans.Max(s => s.Ended), "the two leaders overlapped");
        leases.AssertCovers($"operator-{leader}", reconcilers[leader].Spans, LeaseDuration);
        leases.AssertCovers($"operator-{standby}", reconcilers[standby].Spans, LeaseDuration);
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_its_lease_stops_reconciling_before_the_lease_expires_and_resumes_when_it_leads_again()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var leases = await LeaseHistory.StartAsync(cluster.Client, _ct);

        // Every tenant asks to be reconciled again at once: the leader reconciles without pause for as long as it may.
        var reconciler = new RecordingReconciler(TimeSpan.FromMilliseconds(5)) { Answer = _ => ReconcileResult.RequeueAfter(TimeSpan.FromMilliseconds(10)) };
        var instance = cluster.StartRuntime(
            o =>
            {
                o.LeaderElection.Enabled = true;
                o.LeaderElection.Identity = "renewer";
                o.LeaderElection.LeaseDuration = LeaseDuration;
                o.LeaderElection.RenewDeadline = TimeSpan.FromSeconds(1);
                o.LeaderElection.RetryPeriod = RetryPeriod;
            },
            () => reconciler);
        await cluster.CreateTenantAsync("busy", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(instance.Operator.Leadership.IsLeader && reconciler.Total > 5), TimeSpan.FromSeconds(60), "the instance leads and reconciles", _ct);

        // Every lease write fails for a while: renewals stop landing and leadership must end before the lease expires.
        cluster.Server.FailNext("update", "/apis/coordination.k8s.io/v1/namespaces/econt-system/leases/*", 500, count: 16);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(!instance.Operator.Leadership.IsLeader), TimeSpan.FromSeconds(60), "leadership was lost", _ct);
        var totalWhenLost = reconciler.Total;

        await cluster.CreateTenantAsync("while-lost", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(instance.Operator.Informer.Cache.Count == 2), TimeSpan.FromSeconds(60), "the informer saw the tenant", _ct);
        var reconciledWhileNotLeader = instance.Operator.Leadership.IsLeader ? -1 : reconciler.Total - totalWhenLost;

        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(reconciler.Calls.ContainsKey("while-lost")), TimeSpan.FromSeconds(60), () => $"the tenant was reconciled after leadership returned (leader {instance.Operator.Leadership.IsLeader}, depth {instance.Operator.Controller.Queue.Depth}, total {reconciler.Total}, lost at {totalWhenLost})", _ct);
        Assert.True(reconciledWhileNotLeader <= 0, $"{reconciledWhileNotLeader} reconciles ran while not leading");

        // The measure that matters: no reconcile outlived the lease renewal it ran under, failures or not.
        var renewals = leases.Renewals.Where(r => r.Holder == "renewer").Select(r => r.RenewTime).Order().ToList();
        Assert.Contains(renewals.Zip(renewals.Skip(1)), pair => pair.Second - pair.First > LeaseDuration);
        leases.AssertCovers("renewer", reconciler.Spans, LeaseDuration);
    }
}
