using System.Collections.Concurrent;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Runtime;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// A reconciler that records what the runtime handed it (per key: times, the spec seen, overlapping calls) and answers
/// with <see cref="Answer"/>. Used where the test is about the runtime, not about Tenant logic.
/// </summary>
internal sealed class RecordingReconciler(TimeSpan work) : IReconciler<Tenant>
{
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private int _overlaps;
    private int _total;

    public ConcurrentDictionary<string, ConcurrentQueue<DateTime>> Calls { get; } = new();

    public ConcurrentDictionary<string, string?> LastDisplayName { get; } = new();

    public Func<Tenant, ReconcileResult> Answer { get; set; } = _ => ReconcileResult.Success();

    public int Overlaps => Volatile.Read(ref _overlaps);

    public int Total => Volatile.Read(ref _total);

    public async Task<ReconcileResult> ReconcileAsync(Tenant resource, CancellationToken cancellationToken)
    {
        var key = resource.Metadata.Name;
        Calls.GetOrAdd(key, _ => new()).Enqueue(DateTime.UtcNow);
        if (_inFlight.AddOrUpdate(key, 1, (_, n) => n + 1) > 1)
        {
            Interlocked.Increment(ref _overlaps);
        }

        try
        {
            await Task.Delay(work, cancellationToken);
            LastDisplayName[key] = resource.Spec.DisplayName;
            Interlocked.Increment(ref _total);
            return Answer(resource);
        }
        finally
        {
            _inFlight.AddOrUpdate(key, 0, (_, n) => n - 1);
        }
    }
}
