using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Runtime;

/// <summary>
/// Connects an <see cref="Informer{T}"/> to a reconciler through a <see cref="WorkQueue{TKey}"/>. The informer feeds
/// the queue on every replica; <see cref="RunWorkersAsync"/> drains it and runs only while this replica leads.
/// </summary>
public sealed class Controller<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly Informer<T> _informer;
    private readonly Func<IReconciler<T>> _reconciler;
    private readonly int _workers;
    private readonly TimeProvider _time;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Backoff _retryBackoff;
    private int _deadWorkers;

    public Controller(
        Informer<T> informer,
        Func<IReconciler<T>> reconciler,
        int maxConcurrentReconciles,
        Backoff retryBackoff,
        TimeProvider time,
        RuntimeMetrics metrics,
        ILogger logger)
    {
        _informer = informer;
        _reconciler = reconciler;
        _workers = maxConcurrentReconciles;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _retryBackoff = retryBackoff;
        Queue = new WorkQueue<ResourceKey>(time, retryBackoff);
        Queue.Retried += _ => metrics.Retried();
        metrics.ObserveQueueDepth(() => Queue.Depth);
        informer.Changed += Queue.Add;
    }

    public WorkQueue<ResourceKey> Queue { get; }

    /// <summary>How many workers ended by an exception the worker loop could not handle (health fails when above 0).</summary>
    public int DeadWorkers => Volatile.Read(ref _deadWorkers);

    /// <summary>
    /// Reconciles until <paramref name="cancellationToken"/> fires (leadership lost or shutdown), with at most
    /// the configured number of reconciles in flight. Starts by queueing every cached key: a replica that just became
    /// leader cannot know what the previous leader left unfinished. <paramref name="stillLeading"/> is asked before
    /// every reconcile: when it says no (the lease's renew deadline passed, even if the timer that cancels the token
    /// has not run yet on a busy machine) the workers stop without starting it.
    /// </summary>
    public async Task RunWorkersAsync(CancellationToken cancellationToken, Func<bool>? stillLeading = null)
    {
        foreach (var key in _informer.Cache.Keys)
        {
            Queue.Add(key);
        }

        using var workers = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var leading = stillLeading ?? (() => true);
        await Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => Task.Run(() => SupervisedWorkAsync(workers, leading), CancellationToken.None)));
    }

    /// <summary>A worker that logs what escapes its loop, and counts itself dead instead of vanishing.</summary>
    private async Task SupervisedWorkAsync(CancellationTokenSource workers, Func<bool> stillLeading)
    {
        try
        {
            await WorkAsync(workers, stillLeading);
        }
        catch (Exception e)
        {
            Interlocked.Increment(ref _deadWorkers);
            Log.WorkerDied(_logger, e, typeof(T).Name);
        }
    }

    private async Task WorkAsync(CancellationTokenSource workers, Func<bool> stillLeading)
    {
        var cancellationToken = workers.Token;
        var reconciler = _reconciler();
        while (!cancellationToken.IsCancellationRequested)
        {
            ResourceKey key;
            try
            {
                key = await Queue.GetAsync(cancellationToken);
            }
            catch (Exception e) when (e is OperationCanceledException or System.Threading.Channels.ChannelClosedException)
            {
                return;
            }

            try
            {
                if (!stillLeading())
                {
                    // The key stays cached; the next term queues every cached key again.
                    await workers.CancelAsync();
                    return;
                }

                await ProcessAsync(reconciler, key, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Outside the reconcile (cache, metrics, queue, logging): log it, retry the key later, keep the worker.
                Log.WorkerFailed(_logger, e, key.ToString());
                Queue.AddAfter(key, _retryBackoff.Initial);
            }
            finally
            {
                Queue.Done(key);
            }
        }
    }

    private async Task ProcessAsync(IReconciler<T> reconciler, ResourceKey key, CancellationToken cancellationToken)
    {
        var item = _informer.Cache.Get(key);
        if (item is null)
        {
            // Gone from the cluster: any cleanup ran behind the finalizer while it existed.
            Queue.Forget(key);
            return;
        }

        using var scope = Log.ReconcileScope(_logger, key.Namespace, key.Name, item.Metadata.Generation ?? 0);
        var started = _time.GetTimestamp();
        ReconcileResult result;
        try
        {
            result = await reconciler.ReconcileAsync(item, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Leadership lost or shutting down mid-reconcile: the next leader resyncs this key.
            _metrics.Reconciled("cancelled", _time.GetElapsedTime(started));
            return;
        }
        catch (Exception e)
        {
            result = ReconcileResult.TransientError(e.Message, e);
        }

        _metrics.Reconciled(result.Label, _time.GetElapsedTime(started));
        switch (result)
        {
            case ReconcileResult.Done:
                Queue.Forget(key);
                break;
            case ReconcileResult.Requeue requeue:
                Queue.Forget(key);
                Queue.AddAfter(key, requeue.After);
                break;
            case ReconcileResult.Transient transient:
                var delay = Queue.AddRateLimited(key);
                Log.ReconcileFailed(_logger, transient.Error, key.ToString(), transient.Message, Queue.Failures(key), delay);
                break;
            case ReconcileResult.Terminal terminal:
                Queue.Forget(key);
                Log.ReconcileRefused(_logger, key.ToString(), terminal.Reason, terminal.Message);
                break;
            default:
                throw new UnreachableException($"Unknown reconcile result {result}");
        }
    }
}
