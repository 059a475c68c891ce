using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Operator.Tests.Runtime;

/// <summary>
/// Failovers on one fake clock that every replica shares, so the outcome does not depend on how fast this machine is:
/// replicas of the real <see cref="LeaderElection"/> against the in-process API server through the real client, each
/// running the workers' loop (ask <see cref="LeaderElection.IsLeader"/>, then reconcile; a reconcile takes
/// <see cref="Work"/>) and logging every reconcile on the shared clock. The leader is paused (its timers do not run and
/// its requests hang until it resumes: a process stopped by the kernel or starved of CPU), partitioned from the API
/// server, or killed; the property is read from the logs of every replica: no two ever reconciled at once, and each
/// reconcile started under an unexpired renewal of the replica's own lease (the lease's renewTime, as stored).
/// <para>
/// A pause strikes between reconciles here: a process frozen in the middle of a reconcile's side effects and resumed
/// after its lease expired is the case no lease can close (only fencing at the resource can); what the elector must
/// guarantee, and what is checked, is that no reconcile starts once the lease could be someone else's.
/// </para>
/// </summary>
public sealed class LeaderElectionFailoverTests : IAsyncDisposable
{
    private const int Failovers = 120;
    private static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RetryPeriod = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan Work = TimeSpan.FromMilliseconds(10);
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);
    private static readonly string[] Faults = ["pause", "partition", "kill"];
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _clock = new();
    private readonly List<Replica> _replicas = [];
    private KubeApiServer? _server;

    [Fact]
    public async Task Across_failovers_by_pause_partition_or_kill_on_a_shared_fake_clock_no_two_replicas_ever_reconcile_at_once()
    {
        var run = await RunFailoversAsync(renewDeadline: TimeSpan.FromMilliseconds(500), Failovers);

        Assert.True(run.Overlaps.Count == 0, $"{run.Overlaps.Count} overlapping reconciles, e.g. {string.Join("; ", run.Overlaps.Take(3))}");
        foreach (var replica in _replicas)
        {
            run.Leases.AssertCovers(replica.Identity, replica.Spans, LeaseDuration);
        }

        Assert.All(Faults, f => Assert.Equal(Failovers / Faults.Length, run.Counts[f]));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"{Failovers} failovers ({string.Join(", ", run.Counts.Select(c => $"{c.Value} {c.Key}"))}) in {_clock.GetUtcNow() - run.Began} of fake time, " +
            $"{_replicas.Sum(r => r.Spans.Count)} reconciles by {_replicas.Count} replicas, 0 overlaps");
    }

    /// <summary>
    /// The attack the property test exists for: an elector that may act longer than the lease holds (renew deadline
    /// past the lease duration) reconciles beside its successor after a pause or a partition, and the same check sees it.
    /// </summary>
    [Fact]
    public async Task The_same_check_catches_an_elector_whose_renew_deadline_outlasts_the_lease()
    {
        var run = await RunFailoversAsync(renewDeadline: LeaseDuration * 1.5, failovers: 6);

        Assert.NotEmpty(run.Overlaps);
        TestContext.Current.TestOutputHelper?.WriteLine($"{run.Overlaps.Count} overlapping reconciles in 6 failovers, e.g. {run.Overlaps[0]}");
    }

    private async Task<FailoverRun> RunFailoversAsync(TimeSpan renewDeadline, int failovers)
    {
        _server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        using var admin = _server.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = OperatorTestCluster.OperatorNamespace } }, cancellationToken: _ct);
        await using var leases = await LeaseHistory.StartAsync(admin, _ct);
        var began = _clock.GetUtcNow();
        var settings = new LeaderElectionSettings(true, OperatorTestCluster.OperatorNamespace, "operator", "", LeaseDuration, renewDeadline, RetryPeriod);
        var slots = new[] { Start(settings, "replica-0-0"), Start(settings, "replica-1-0") };
        var counts = Faults.ToDictionary(f => f, _ => 0);
        for (var i = 0; i < failovers; i++)
        {
            await AdvanceUntilAsync(
                () => slots.Count(s => s.Election.IsLeader) == 1 && slots.Any(s => s.Election.IsLeader && s.ReconcilesThisTerm > 0),
                $"failover {i}: exactly one replica leads and reconciles");
            var leader = Array.FindIndex(slots, s => s.Election.IsLeader);
            var successor = slots[1 - leader];
            var before = successor.Spans.Count;
            var fault = Faults[i % Faults.Length];
            counts[fault]++;
            switch (fault)
            {
                case "pause":
                    slots[leader].Pause();
                    break;
                case "partition":
                    slots[leader].Network.Partition();
                    break;
                default:
                    await slots[leader].StopAsync();
                    break;
            }

            await AdvanceUntilAsync(
                () => successor.Election.IsLeader && successor.Spans.Count > before, $"failover {i} ({fault}): the other replica took over and reconciled");
            switch (fault)
            {
                case "pause":
                    slots[leader].Resume();
                    break;
                case "partition":
                    slots[leader].Network.Heal();
                    break;
                default:
                    slots[leader] = Start(settings, $"replica-{leader}-{i + 1}");
                    break;
            }

            // The old leader runs again (or its successor process starts) and gets to act before anything else changes.
            await AdvanceAsync(Tick * 2);
        }

        foreach (var replica in _replicas)
        {
            await replica.StopAsync();
        }

        // The history is a watch: let it catch up with the last write before the logs are read against it.
        var last = (await admin.CoordinationV1.ReadNamespacedLeaseAsync("operator", OperatorTestCluster.OperatorNamespace, cancellationToken: _ct)).Spec;
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(leases.Renewals.Contains((last.HolderIdentity, last.RenewTime!.Value.ToUniversalTime()))),
            TimeSpan.FromSeconds(30), "the lease history holds the last renewal", _ct);
        return new FailoverRun(ReconcileLog.Overlaps(_replicas.SelectMany(r => r.Spans.Select(s => (r.Identity, s)))), leases, counts, began);
    }

    private Replica Start(LeaderElectionSettings settings, string identity)
    {
        var replica = new Replica(identity, _server!, settings with { Identity = identity }, _clock);
        _replicas.Add(replica);
        return replica;
    }

    /// <summary>Moves the shared clock in steps until <paramref name="condition"/> holds; 60 s of fake time is far more than any failover needs.</summary>
    private async Task AdvanceUntilAsync(Func<bool> condition, string what)
    {
        var deadline = _clock.GetUtcNow() + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(_clock.GetUtcNow() < deadline, $"not within 60 s of fake time: {what}");
            await StepAsync();
        }
    }

    private async Task AdvanceAsync(TimeSpan span)
    {
        for (var moved = TimeSpan.Zero; moved < span; moved += Step)
        {
            await StepAsync();
        }
    }

    /// <summary>
    /// One step of the shared clock, then real time for what it woke: the clock moves on only once no request is on its
    /// way to the API server (requests take no fake time, as on an idle network; a held one is the pause's).
    /// </summary>
    private async Task StepAsync()
    {
        _clock.Advance(Step);
        do
        {
            await Task.Delay(1, _ct);
        }
        while (_replicas.Any(r => r.Network.Sent > 0));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var replica in _replicas)
        {
            await replica.StopAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private sealed record FailoverRun(List<string> Overlaps, LeaseHistory Leases, Dictionary<string, int> Counts, DateTimeOffset Began);

    /// <summary>One operator process: its own clock view (pausable), network, elector and reconcile log.</summary>
    private sealed class Replica
    {
        private readonly FakeTimeProvider _shared;
        private readonly SkewedTimeProvider _time;
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly IKubernetes _client;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _run;
        private int _reconcilesThisTerm;

        public Replica(string identity, KubeApiServer server, LeaderElectionSettings settings, FakeTimeProvider shared)
        {
            Identity = identity;
            _shared = shared;
            _time = new SkewedTimeProvider(shared);
            _client = KubernetesClientFactory.Create(server.ClientConfiguration(), Network);
            Election = new LeaderElection(
                _client, settings, _time, new RuntimeMetrics(_services.GetRequiredService<IMeterFactory>(), OperatorMetrics.MeterName), NullLogger<LeaderElection>.Instance);
            _run = Election.RunAsync(WorkAsync, _stop.Token);
        }

        public string Identity { get; }

        public NetworkFault Network { get; } = new();

        public LeaderElection Election { get; }

        public ConcurrentQueue<ReconcileSpan> Spans { get; } = new();

        public int ReconcilesThisTerm => Volatile.Read(ref _reconcilesThisTerm);

        /// <summary>The process stops: its timers come due but do not run, its requests hang.</summary>
        public void Pause()
        {
            _time.Starved = true;
            Network.Stall();
        }

        /// <summary>The process runs again: what came due meanwhile runs now, in order, and the hung requests go out.</summary>
        public void Resume()
        {
            _time.Release();
            Network.Heal();
        }

        public async Task StopAsync()
        {
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            Resume();
            await _stop.CancelAsync();
            await _run;
            _client.Dispose();
            await _services.DisposeAsync();
        }

        /// <summary>
        /// The controller's workers in one loop: before each reconcile, ask whether the term still holds (as
        /// <see cref="Controller{T}.RunWorkersAsync"/> does); a reconcile is cancelled with the term.
        /// </summary>
        private async Task WorkAsync(CancellationToken term)
        {
            Volatile.Write(ref _reconcilesThisTerm, 0);
            while (!term.IsCancellationRequested)
            {
                await Task.Delay(Tick, _time, term);
                if (!Election.IsLeader)
                {
                    return;
                }

                var started = _shared.GetTimestamp();
                var wallStarted = _shared.GetUtcNow().UtcDateTime;
                try
                {
                    // The reconcile's own work runs on the shared clock: a pause lets it finish, then freezes the process.
                    await Task.Delay(Work, _shared, term);
                }
                finally
                {
                    Spans.Enqueue(new ReconcileSpan("tenant", wallStarted, _shared.GetUtcNow().UtcDateTime, started, _shared.GetTimestamp()));
                    Interlocked.Increment(ref _reconcilesThisTerm);
                }
            }
        }
    }
}
