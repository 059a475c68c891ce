using System.Collections.Concurrent;
using System.Diagnostics;
using ControlPlane.Operator.Provisioning;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// Where provisioning time goes: the time between consecutive marks of one reconcile (or one direct provisioning),
/// summed per step. Plugged into the operator through its fault seam (<see cref="IProvisioningFaults"/>), which the
/// reconciler passes after each step; the mark of the current flow lives in an AsyncLocal.
/// </summary>
internal sealed class StepTimer : IProvisioningFaults
{
    public const string Rest = "status + events";

    private readonly AsyncLocal<StrongBox> _mark = new();
    private readonly ConcurrentDictionary<string, (double Ms, int Count)> _steps = new();
    private readonly List<string> _order = [];

    public void Reset()
    {
        lock (_order)
        {
            _order.Clear();
            _steps.Clear();
        }
    }

    public void Begin() => _mark.Value = new StrongBox { Value = Stopwatch.GetTimestamp() };

    public void Mark(string step)
    {
        if (_mark.Value is not { } mark)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        var ms = Stopwatch.GetElapsedTime(mark.Value, now).TotalMilliseconds;
        mark.Value = now;
        lock (_order)
        {
            if (!_order.Contains(step))
            {
                _order.Add(step);
            }
        }

        _steps.AddOrUpdate(step, (ms, 1), (_, t) => (t.Ms + ms, t.Count + 1));
    }

    public ValueTask AfterAsync(string step, CancellationToken cancellationToken)
    {
        Mark(step);
        return ValueTask.CompletedTask;
    }

    /// <summary>"step ms/tenant" pairs in provisioning order, divided by <paramref name="tenants"/>.</summary>
    public string Format(int tenants)
    {
        var order = ProvisioningSteps.Provisioning.Append(Rest).ToList();
        lock (_order)
        {
            return string.Join(", ", _order.OrderBy(step => order.IndexOf(step) is var i and >= 0 ? i : int.MaxValue)
                .Select(step => $"{step} {_steps[step].Ms / tenants:F1}"));
        }
    }

    private sealed class StrongBox
    {
        public long Value { get; set; }
    }
}
