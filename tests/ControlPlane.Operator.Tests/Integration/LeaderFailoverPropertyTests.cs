using ControlPlane.Runtime;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// Many failovers between two replica slots, each caused by a fault on the leader (its requests stall, it is
/// partitioned from the API server, or it is killed and replaced), and the one property that matters checked from the
/// reconcile logs of every instance: no two instances ever reconcile at once, and each reconciled only under an
/// unexpired renewal of its own lease.
/// </summary>
public sealed class LeaderFailoverPropertyTests(PostgresFixture postgres)
{
    private const int Failovers = 100;
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RenewDeadline = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(100);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Across_many_failovers_by_stall_partition_or_kill_no_two_replicas_ever_reconcile_at_once()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var leases = await LeaseHistory.StartAsync(cluster.Client, _ct);
        foreach (var name in new[] { "a", "b" })
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        var instances = new List<Replica>();
        var slots = new Replica[2];
        for (var slot = 0; slot < 2; slot++)
        {
            slots[slot] = Start(cluster, slot, 0, instances);
        }

        var faults = new[] { "stall", "partition", "kill" };
        var counts = faults.ToDictionary(f => f, _ => 0);
        for (var i = 0; i < Failovers; i++)
        {
            await OperatorTestCluster.WaitUntilAsync(
                () => Task.FromResult(slots.Count(s => s.Running.Operator.Leadership.IsLeader) == 1 && slots.Any(s => s.Running.Operator.Leadership.IsLeader && s.Reconciler.Total > 0)),
                TimeSpan.FromSeconds(60), $"failover {i}: exactly one replica leads and reconciles", _ct);
            var leader = Array.FindIndex(slots, s => s.Running.Operator.Leadership.IsLeader);
            var successor = slots[1 - leader];
            var reconciledBefore = successor.Reconciler.Total;

            var fault = faults[i % faults.Length];
            counts[fault]++;
            switch (fault)
            {
                case "stall":
                    slots[leader].Network.Stall();
                    break;
                case "partition":
                    slots[leader].Network.Partition();
                    break;
                default:
                    await slots[leader].Running.StopAsync();
                    break;
            }

            await OperatorTestCluster.WaitUntilAsync(
                () => Task.FromResult(successor.Running.Operator.Leadership.IsLeader && successor.Reconciler.Total > reconciledBefore),
                TimeSpan.FromSeconds(60), $"failover {i} ({fault}): the other replica took over and reconciled", _ct);
            if (fault == "kill")
            {
                slots[leader] = Start(cluster, leader, i + 1, instances);
            }
            else
            {
                slots[leader].Network.Heal();
            }
        }

        foreach (var instance in instances)
        {
            await instance.Running.StopAsync();
        }

        // From every instance's reconcile log: sorted by start, no span may begin before a span of another instance ended.
        var spans = instances.SelectMany(r => r.Reconciler.Spans.Select(s => (r.Identity, Span: s))).ToList();
        var overlaps = ReconcileLog.Overlaps(spans);
        Assert.True(overlaps.Count == 0, $"{overlaps.Count} overlapping reconciles, e.g. {string.Join("; ", overlaps.Take(3))}");
        foreach (var instance in instances)
        {
            leases.AssertCovers(instance.Identity, instance.Reconciler.Spans, LeaseDuration);
        }

        Assert.All(counts.Values, n => Assert.True(n >= Failovers / faults.Length));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Failovers} failovers ({string.Join(", ", counts.Select(c => $"{c.Value} {c.Key}"))}), {spans.Count} reconciles by {instances.Count} instances, 0 overlaps");
    }

    private static Replica Start(OperatorTestCluster cluster, int slot, int generation, List<Replica> instances)
    {
        // Every tenant asks to be reconciled again at once: whoever leads reconciles all the time, so any overlap shows.
        var reconciler = new RecordingReconciler(TimeSpan.FromMilliseconds(2)) { Answer = _ => ReconcileResult.RequeueAfter(TimeSpan.FromMilliseconds(20)) };
        var network = new NetworkFault();
        var identity = $"replica-{slot}-{generation}";
        var running = cluster.StartRuntime(
            o =>
            {
                o.LeaderElection.Enabled = true;
                o.LeaderElection.Identity = identity;
                o.LeaderElection.LeaseDuration = LeaseDuration;
                o.LeaderElection.RenewDeadline = RenewDeadline;
                o.LeaderElection.RetryPeriod = RetryPeriod;
            },
            () => reconciler,
            network: network);
        var replica = new Replica(identity, running, reconciler, network);
        instances.Add(replica);
        return replica;
    }

    private sealed record Replica(string Identity, RunningOperator Running, RecordingReconciler Reconciler, NetworkFault Network);
}

/// <summary>
/// Faults between one operator instance and the API server: <see cref="Stall"/> holds every new request until
/// <see cref="Heal"/> (a replica starved of CPU, as the API server sees it), <see cref="Partition"/> fails them at once.
/// </summary>
internal sealed class NetworkFault : DelegatingHandler
{
    private volatile TaskCompletionSource? _stalled;
    private volatile bool _partitioned;
    private int _waiting;
    private int _sent;

    /// <summary>How many requests are being held by <see cref="Stall"/> now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>How many requests passed the fault and wait for the API server's answer now.</summary>
    public int Sent => Volatile.Read(ref _sent);

    public void Stall() => _stalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Partition() => _partitioned = true;

    public void Heal()
    {
        _partitioned = false;
        Interlocked.Exchange(ref _stalled, null)?.TrySetResult();
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (_partitioned)
        {
            throw new HttpRequestException("partitioned from the API server (test fault)");
        }

        if (_stalled is { } stalled)
        {
            Interlocked.Increment(ref _waiting);
            try
            {
                await stalled.Task.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        Interlocked.Increment(ref _sent);
        try
        {
            return await base.SendAsync(request, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _sent);
        }
    }
}
