using System.Diagnostics;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Operator.Runtime;

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
    private readonly OperatorMetrics _metrics;
    private readonly ILogger _logger;

    public Controller(
        Informer<T> informer,
        Func<IReconciler<T>> reconciler,
        int maxConcurrentReconciles,
        Backoff retryBackoff,
        TimeProvider time,
        OperatorMetrics metrics,
        ILogger logger)
    {
        _informer = informer;
        _reconciler = reconciler;
        _workers = maxConcurrentReconciles;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        Queue = new WorkQueue<ResourceKey>(time, retryBackoff);
        Queue.Retried += _ => metrics.Retried();
        metrics.ObserveQueueDepth(() => Queue.Depth);
        informer.Changed += Queue.Add;
    }

    public WorkQueue<ResourceKey> Queue { get; }

    /// <summary>
    /// Reconciles until <paramref name="cancellationToken"/> fires (leadership lost or shutdown), with at most
    /// the configured number of reconciles in flight. Starts by queueing every cached key: a replica that just became
    /// leader cannot know what the previous leader left unfinished.
    /// </summary>
    public async Task RunWorkersAsync(CancellationToken cancellationToken)
    {
        foreach (var key in _informer.Cache.Keys)
        {
            Queue.Add(key);
        }

        await Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => Task.Run(() => WorkAsync(cancellationToken), CancellationToken.None)));
    }

    private async Task WorkAsync(CancellationToken cancellationToken)
    {
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
                await ProcessAsync(reconciler, key, cancellationToken);
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
