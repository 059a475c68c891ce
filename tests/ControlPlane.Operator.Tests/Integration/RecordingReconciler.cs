using System.Collections.Concurrent;
using System.Diagnostics;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;

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

    /// <summary>Every reconcile as a span: wall-clock start (to compare with a Lease's renewTime) and monotonic bounds.</summary>
    public ConcurrentQueue<ReconcileSpan> Spans { get; } = new();

    public int Overlaps => Volatile.Read(ref _overlaps);

    public int Total => Volatile.Read(ref _total);

    public async Task<ReconcileResult> ReconcileAsync(Tenant resource, CancellationToken cancellationToken)
    {
        var key = resource.Metadata.Name;
        var started = Stopwatch.GetTimestamp();
        var wallStarted = DateTime.UtcNow;
        Calls.GetOrAdd(key, _ => new()).Enqueue(wallStarted);
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
            Spans.Enqueue(new ReconcileSpan(key, wallStarted, DateTime.UtcNow, started, Stopwatch.GetTimestamp()));
        }
    }
}

/// <summary>One reconcile: wall-clock start and end, and the same on the monotonic clock (Stopwatch timestamps).</summary>
internal sealed record ReconcileSpan(string Name, DateTime WallStarted, DateTime WallEnded, long Started, long Ended)
{
    public bool Overlaps(ReconcileSpan other) => Started <= other.Ended && other.Started <= Ended;
}
