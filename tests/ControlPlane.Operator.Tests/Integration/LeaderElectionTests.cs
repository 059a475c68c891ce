using System.Diagnostics;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Integration;

public sealed class LeaderElectionTests(PostgresFixture postgres)
{
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(250);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task With_two_instances_exactly_one_reconciles_and_the_other_takes_over_within_LeaseDuration_plus_RetryPeriod()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var reconcilers = new[] { new RecordingReconciler(TimeSpan.Zero), new RecordingReconciler(TimeSpan.Zero) };
        var instances = reconcilers.Select((reconciler, i) => cluster.StartOperator(
            o =>
            {
                o.LeaderElection.Enabled = true;
                o.LeaderElection.Identity = $"operator-{i}";
                o.LeaderElection.LeaseDuration = LeaseDuration;
                o.LeaderElection.RenewDeadline = TimeSpan.FromSeconds(1.5);
                o.LeaderElection.RetryPeriod = RetryPeriod;
            },
            () => reconciler)).ToArray();

        var names = new[] { "t1", "t2", "t3", "t4" };
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(reconcilers.Any(r => names.All(r.Calls.ContainsKey))), TimeSpan.FromSeconds(15), "one instance reconciled every tenant", _ct);
        var leader = Array.FindIndex(reconcilers, r => names.All(r.Calls.ContainsKey));
        var standby = 1 - leader;
        await Task.Delay(RetryPeriod * 4, _ct);

        Assert.True(instances[leader].Operator.Leadership.IsLeader);
        Assert.False(instances[standby].Operator.Leadership.IsLeader);
        Assert.Equal(0, reconcilers[standby].Total);
        Assert.True(instances[standby].Operator.Informer.HasSynced, "the standby keeps its cache warm");

        var stopped = Stopwatch.StartNew();
        await instances[leader].StopAsync();
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(instances[standby].Operator.Leadership.IsLeader), LeaseDuration * 3, "the standby took over", _ct);
        var takeover = stopped.Elapsed;

        // The lease is not released on stop, so the successor waits for it to expire; 300 ms covers scheduling here.
        Assert.True(takeover <= LeaseDuration + RetryPeriod + TimeSpan.FromMilliseconds(300), $"takeover took {takeover.TotalMilliseconds} ms");

        // The new leader resyncs every tenant it has cached, and handles new ones.
        await cluster.CreateTenantAsync("t5", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(names.Append("t5").All(reconcilers[standby].Calls.ContainsKey)), TimeSpan.FromSeconds(10), "the new leader converged", _ct);
        Assert.False(reconcilers[leader].Calls.ContainsKey("t5"));
    }

    [Fact]
    public async Task A_leader_that_cannot_renew_its_lease_stops_reconciling_at_once_and_resumes_when_it_leads_again()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var reconciler = new RecordingReconciler(TimeSpan.Zero);
        var instance = cluster.StartOperator(
            o =>
            {
                o.LeaderElection.Enabled = true;
                o.LeaderElection.LeaseDuration = LeaseDuration;
                o.LeaderElection.RenewDeadline = TimeSpan.FromSeconds(1);
                o.LeaderElection.RetryPeriod = RetryPeriod;
            },
            () => reconciler);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(instance.Operator.Leadership.IsLeader), TimeSpan.FromSeconds(10), "the instance leads", _ct);

        // Every lease write fails for a while: renewal misses RenewDeadline and leadership is lost.
        cluster.Server.FailNext("update", "/apis/coordination.k8s.io/v1/namespaces/econt-system/leases/*", 500, count: 12);
        var failing = Stopwatch.StartNew();
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(!instance.Operator.Leadership.IsLeader), TimeSpan.FromSeconds(5), "leadership was lost", _ct);
        Assert.True(failing.Elapsed <= TimeSpan.FromSeconds(1) + RetryPeriod * 2, $"leadership held {failing.Elapsed.TotalMilliseconds} ms without renewal");

        await cluster.CreateTenantAsync("while-lost", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(instance.Operator.Informer.Cache.Count == 1), TimeSpan.FromSeconds(5), "the informer saw the tenant", _ct);
        await Task.Delay(300, _ct);
        var reconciledWhileNotLeader = instance.Operator.Leadership.IsLeader ? -1 : reconciler.Total;

        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(reconciler.Calls.ContainsKey("while-lost")), TimeSpan.FromSeconds(15), "the tenant was reconciled after leadership returned", _ct);
        Assert.Equal(0, reconciledWhileNotLeader);
        Assert.True(instance.Operator.Leadership.IsLeader);
    }
}
