using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Runtime;

/// <summary>
/// Runs leader-only work under a <c>coordination.k8s.io</c> Lease. The work gets a token that is cancelled the moment
/// leadership ends (deadline passed without renewal, lease taken, or shutdown); when leadership is gained again the
/// work starts afresh. With leader election disabled the work simply runs (single replica, dev).
/// <para>
/// Safety is measured by the lease, not by how quickly this process gets scheduled. Every acquisition and renewal
/// writes <c>renewTime</c> = the moment just before the request is sent; another replica may take the lease only
/// <see cref="LeaderElectionSettings.LeaseDuration"/> after it <em>observed</em> that write, which is later. This
/// replica's leadership ends <see cref="LeaderElectionSettings.RenewDeadline"/> (strictly less) after that same
/// moment: <see cref="IsLeader"/> checks the deadline on every call, and a timer cancels the work at it. A process
/// that was paused past its deadline (GC, CPU throttling) therefore finds itself no longer leader when it resumes,
/// before it can start another reconcile. (KubernetesClient's <c>LeaderElector</c>, used before, started its renew
/// deadline at each renewal <em>attempt</em>, a retry period after the last success, so a loaded leader kept acting
/// for up to RetryPeriod + RenewDeadline + scheduling delay past its last <c>renewTime</c>: past LeaseDuration.)
/// </para>
/// <para>
/// A term that reached its deadline is over for good, even if a renewal lands a moment later: the first observer of the
/// passed deadline (a worker about to reconcile, the timer, the renewal loop) latches it, the workers stop, and the
/// replica starts a new term (re-acquiring its own lease at once if nobody else took it), whose workers queue every
/// cached key again. Before, a late renewal (or the deadline timer firing a millisecond early, timer resolution being
/// coarser than the monotonic clock, and never firing again) revived the term after its workers had stopped: the
/// replica held the lease and reconciled nothing until it lost it again.
/// </para>
/// </summary>
public sealed class LeaderElection(
    IKubernetes kubernetes, LeaderElectionSettings settings, TimeProvider time, RuntimeMetrics metrics, ILogger<LeaderElection> logger)
{
    private const long NotLeading = long.MinValue;
    private long _deadline = NotLeading;

    /// <summary>
    /// True while this replica holds a lease whose renew deadline has not passed (checked against the clock now). The
    /// first call that finds the deadline passed ends the term: no later renewal makes it true again within that term.
    /// </summary>
    public bool IsLeader
    {
        get
        {
            var deadline = Volatile.Read(ref _deadline);
            if (!settings.Enabled || time.GetTimestamp() < deadline)
            {
                return deadline != NotLeading;
            }

            if (deadline != NotLeading)
            {
                Interlocked.CompareExchange(ref _deadline, NotLeading, deadline);
            }

            return false;
        }
    }

    public async Task RunAsync(Func<CancellationToken, Task> leaderWork, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(leaderWork);
        metrics.ObserveLeadership(() => IsLeader);
        if (!settings.Enabled)
        {
            Volatile.Write(ref _deadline, long.MaxValue);
            await leaderWork(cancellationToken);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var lease = await AcquireAsync(cancellationToken);
                await LeadAsync(lease, leaderWork, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Polls the lease every retry period until this replica holds it.</summary>
    private async Task<V1Lease> AcquireAsync(CancellationToken cancellationToken)
    {
        // The last record seen and when it was first seen: the lease expires LeaseDuration after that, on our clock.
        string? observedVersion = null;
        var observedAt = time.GetTimestamp();
        while (true)
        {
            try
            {
                var current = await GetAsync(cancellationToken);
                if (current is null)
                {
                    var stamp = time.GetTimestamp();
                    if (await TryWriteAsync(null, stamp, acquire: true, cancellationToken) is { } created)
                    {
                        return Acquired(created, stamp);
                    }
                }
                else
                {
                    if (current.Metadata.ResourceVersion != observedVersion)
                    {
                        observedVersion = current.Metadata.ResourceVersion;
                        observedAt = time.GetTimestamp();
                    }

                    var holder = current.Spec?.HolderIdentity;
                    var duration = current.Spec?.LeaseDurationSeconds is int seconds and > 0 ? TimeSpan.FromSeconds(seconds) : settings.LeaseDuration;
                    var free = string.IsNullOrEmpty(holder) || holder == settings.Identity || time.GetElapsedTime(observedAt) > duration;
                    var stamp = time.GetTimestamp();
                    if (free && await TryWriteAsync(current, stamp, acquire: holder != settings.Identity, cancellationToken) is { } taken)
                    {
                        return Acquired(taken, stamp);
                    }
                }
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.LeaderElectionError(logger, e);
            }

            await Task.Delay(settings.RetryPeriod, time, cancellationToken);
        }
    }

    private V1Lease Acquired(V1Lease lease, long stamp)
    {
        Volatile.Write(ref _deadline, stamp + ToTimestamp(settings.RenewDeadline));
        Log.LeadershipAcquired(logger, settings.Identity, settings.LeaseNamespace, settings.LeaseName);
        return lease;
    }

    /// <summary>One term: the work runs while renewals keep the deadline ahead; it is cancelled and awaited when they stop.</summary>
    private async Task LeadAsync(V1Lease lease, Func<CancellationToken, Task> leaderWork, CancellationToken cancellationToken)
    {
        using var term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var deadlineTimer = new DeadlineTimer(this, term, time);
        var work = Task.Run(() => leaderWork(term.Token), CancellationToken.None);
        try
        {
            while (!term.IsCancellationRequested)
            {
                await Task.Delay(settings.RetryPeriod, time, term.Token);
                if (!IsLeader)
                {
                    break;
                }

                var stamp = time.GetTimestamp();
                try
                {
                    if (await TryWriteAsync(lease, stamp, acquire: false, term.Token) is not { } renewed)
                    {
                        // Someone else wrote the lease: it is theirs now, or will be. Stop at once.
                        break;
                    }

                    lease = renewed;
                    if (!TryExtend(stamp))
                    {
                        // The renewal landed after the deadline: the term is over (its workers may have stopped already).
                        break;
                    }

                    deadlineTimer.Rearm();
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Keep trying until the deadline; the timer ends the term if no renewal lands before it.
                    Log.LeaderElectionError(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (term.IsCancellationRequested)
        {
        }
        finally
        {
            Volatile.Write(ref _deadline, NotLeading);
            await term.CancelAsync();
            Log.LeadershipLost(logger, settings.Identity);
            try
            {
                await work;
            }
            catch (OperationCanceledException)
            {
            }
        }
    }

    /// <summary>
    /// Moves the deadline to <paramref name="stamp"/> + RenewDeadline, unless the current one has passed or was latched
    /// by <see cref="IsLeader"/> meanwhile (compare-and-swap: a worker that saw the term end can never see it resume).
    /// </summary>
    private bool TryExtend(long stamp)
    {
        var current = Volatile.Read(ref _deadline);
        return IsLeader && Interlocked.CompareExchange(ref _deadline, stamp + ToTimestamp(settings.RenewDeadline), current) == current;
    }

    private TimeSpan RemainingTerm()
    {
        var deadline = Volatile.Read(ref _deadline);
        if (deadline == NotLeading)
        {
            return TimeSpan.Zero;
        }

        var remaining = deadline - time.GetTimestamp();
        return remaining <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(remaining * (double)TimeSpan.TicksPerSecond / time.TimestampFrequency));
    }

    private long ToTimestamp(TimeSpan span) => (long)(span.TotalSeconds * time.TimestampFrequency);

    /// <summary>
    /// Cancels a term's work at its deadline. A timer may fire a little early (its resolution is coarser than the
    /// monotonic clock the deadline is measured on): then it is armed again for what remains, instead of never again.
    /// </summary>
    private sealed class DeadlineTimer : IDisposable
    {
        private readonly LeaderElection _owner;
        private readonly CancellationTokenSource _term;
        private readonly ITimer _timer;

        public DeadlineTimer(LeaderElection owner, CancellationTokenSource term, TimeProvider time)
        {
            _owner = owner;
            _term = term;
            _timer = time.CreateTimer(static state => ((DeadlineTimer)state!).Fire(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            Rearm();
        }

        public void Rearm() => _timer.Change(_owner.RemainingTerm(), Timeout.InfiniteTimeSpan);

        public void Dispose() => _timer.Dispose();

        private void Fire()
        {
            if (_term.IsCancellationRequested)
            {
                return;
            }

            if (_owner.IsLeader)
            {
                Rearm();
                return;
            }

            try
            {
                _term.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The term ended and was disposed between the check above and here.
            }
        }
    }

    private async Task<V1Lease?> GetAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CoordinationV1.ReadNamespacedLeaseAsync(settings.LeaseName, settings.LeaseNamespace, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    /// <summary>
    /// Creates (when <paramref name="current"/> is null) or replaces the lease with this replica as holder and
    /// renewTime = <paramref name="stamp"/> on the wall clock. Optimistic concurrency on the resourceVersion makes the
    /// write fail if anyone else wrote in between (409, also for a create that lost the race): that returns null.
    /// </summary>
    private async Task<V1Lease?> TryWriteAsync(V1Lease? current, long stamp, bool acquire, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow().UtcDateTime - time.GetElapsedTime(stamp);
        var spec = new V1LeaseSpec
        {
            HolderIdentity = settings.Identity,
            LeaseDurationSeconds = (int)Math.Ceiling(settings.LeaseDuration.TotalSeconds),
            AcquireTime = acquire ? now : current?.Spec?.AcquireTime ?? now,
            RenewTime = now,
            LeaseTransitions = (current?.Spec?.LeaseTransitions ?? 0) + (acquire && current is not null ? 1 : 0),
        };
        try
        {
            if (current is null)
            {
                var lease = new V1Lease { Metadata = new V1ObjectMeta { Name = settings.LeaseName, NamespaceProperty = settings.LeaseNamespace }, Spec = spec };
                return await kubernetes.CoordinationV1.CreateNamespacedLeaseAsync(lease, settings.LeaseNamespace, cancellationToken: cancellationToken);
            }

            var replacement = new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = settings.LeaseName, NamespaceProperty = settings.LeaseNamespace, ResourceVersion = current.Metadata.ResourceVersion },
                Spec = spec,
            };
            return await kubernetes.CoordinationV1.ReplaceNamespacedLeaseAsync(replacement, settings.LeaseName, settings.LeaseNamespace, cancellationToken: cancellationToken);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            return null;
        }
    }
}

/// <summary>Lease settings, validated by the operator options (LeaseDuration &gt; RenewDeadline &gt; RetryPeriod).</summary>
public sealed record LeaderElectionSettings(
    bool Enabled,
    string LeaseNamespace,
    string LeaseName,
    string Identity,
    TimeSpan LeaseDuration,
    TimeSpan RenewDeadline,
    TimeSpan RetryPeriod);
