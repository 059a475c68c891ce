using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// Passes every reconcile to the real Tenant reconciler and counts the finished ones, so a resync can be waited for
/// although a converged tenant writes nothing anyone could watch.
/// </summary>
internal sealed class CountingReconciler(IReconciler<Tenant> inner, StepTimer steps) : IReconciler<Tenant>
{
    private readonly Dictionary<string, int> _done = [];
    private int _calls;
    private int _started;

    /// <summary>Reconciles that began, including one cancelled in flight when the operator stopped (its statements are logged).</summary>
    public int Started => Volatile.Read(ref _started);

    /// <summary>Reconciles that returned (any result), repeats included.</summary>
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Distinct tenants whose reconcile returned success.</summary>
    public int Succeeded
    {
        get
        {
            lock (_done)
            {
                return _done.Count;
            }
        }
    }

    /// <summary>Distinct tenants whose reconcile returned success at least <paramref name="times"/> times.</summary>
    public int SucceededAtLeast(int times)
    {
        lock (_done)
        {
            return _done.Values.Count(n => n >= times);
        }
    }

    public async Task<ReconcileResult> ReconcileAsync(Tenant resource, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _started);
        steps.Begin();
        var result = await inner.ReconcileAsync(resource, cancellationToken);
        steps.Mark(StepTimer.Rest);
        Interlocked.Increment(ref _calls);
        if (result is ReconcileResult.Done or ReconcileResult.Requeue)
        {
            lock (_done)
            {
                var key = $"{resource.Metadata.NamespaceProperty}/{resource.Metadata.Name}";
                _done[key] = _done.GetValueOrDefault(key) + 1;
            }
        }

        return result;
    }
}
