using k8s;
using k8s.LeaderElection;
using k8s.LeaderElection.ResourceLock;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Operator.Runtime;

/// <summary>
/// Runs leader-only work under a <c>coordination.k8s.io</c> Lease. The work gets a token that is cancelled the
/// moment leadership is lost (renewal failed) or the process stops; when leadership is gained again the work starts
/// afresh. With leader election disabled the work simply runs (single replica, dev).
/// </summary>
public sealed class LeaderElection(
    IKubernetes kubernetes, LeaderElectionSettings settings, OperatorMetrics metrics, ILogger<LeaderElection> logger)
{
    private volatile bool _isLeader;

    public bool IsLeader => _isLeader;

    public async Task RunAsync(Func<CancellationToken, Task> leaderWork, CancellationToken cancellationToken)
    {
        metrics.ObserveLeadership(() => _isLeader);
        if (!settings.Enabled)
        {
            _isLeader = true;
            await leaderWork(cancellationToken);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await RunOneTermAsync(leaderWork, cancellationToken);
        }
    }

    private async Task RunOneTermAsync(Func<CancellationToken, Task> leaderWork, CancellationToken cancellationToken)
    {
        var config = new LeaderElectionConfig(new LeaseLock(kubernetes, settings.LeaseNamespace, settings.LeaseName, settings.Identity))
        {
            LeaseDuration = settings.LeaseDuration,
            RenewDeadline = settings.RenewDeadline,
            RetryPeriod = settings.RetryPeriod,
        };
        using var elector = new LeaderElector(config);
        using var term = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task? work = null;

        // OnStartedLeading is raised synchronously inside the elector's loop: hand the work to another task.
        elector.OnStartedLeading += () =>
        {
            _isLeader = true;
            Log.LeadershipAcquired(logger, settings.Identity, settings.LeaseNamespace, settings.LeaseName);
            work = Task.Run(() => leaderWork(term.Token), CancellationToken.None);
        };
        elector.OnStoppedLeading += () =>
        {
            _isLeader = false;
            term.Cancel();
        };
        elector.OnError += e => Log.LeaderElectionError(logger, e);

        try
        {
            await elector.RunUntilLeadershipLostAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The elector normally reports API errors through OnError; anything escaping ends this term, not the process.
            Log.LeaderElectionError(logger, e);
        }
        finally
        {
            _isLeader = false;
            await term.CancelAsync();
        }

        if (work is not null)
        {
            Log.LeadershipLost(logger, settings.Identity);
            try
            {
                await work;
            }
            catch (OperationCanceledException)
            {
            }
        }

        if (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(settings.RetryPeriod, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
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
