using System.Diagnostics.Metrics;

namespace ControlPlane.Runtime;

/// <summary>
/// The controller runtime's instruments, on the meter its host names (the operator uses its own meter, so these keep
/// their <c>controlplane_*</c> names at <c>/metrics</c>): <c>controlplane_reconciles_total{result}</c>,
/// <c>controlplane_reconcile_duration_seconds</c>, <c>controlplane_workqueue_depth</c>,
/// <c>controlplane_workqueue_retries_total</c>, <c>controlplane_watch_restarts_total{reason}</c>,
/// <c>controlplane_watch_relists_total</c>, <c>controlplane_leader</c> and
/// <c>controlplane_periodic_job_runs_total{job,result}</c>. One instance per meter: the gauges are registered once and
/// read their sources at scrape time through the <c>Observe*</c> hooks.
/// </summary>
public sealed class RuntimeMetrics
{
    private readonly Counter<long> _reconciles;
    private readonly Histogram<double> _reconcileDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _watchRestarts;
    private readonly Counter<long> _relists;
    private readonly Counter<long> _jobRuns;
    private Func<int> _queueDepth = () => 0;
    private Func<bool> _isLeader = () => false;

    public RuntimeMetrics(IMeterFactory meterFactory, string meterName)
    {
        var meter = meterFactory.Create(meterName);
        _reconciles = meter.CreateCounter<long>("controlplane.reconciles", description: "Reconciles by result.");
        _reconcileDuration = meter.CreateHistogram<double>(
            "controlplane.reconcile.duration", unit: "s", description: "Time spent in one reconcile.");
        _retries = meter.CreateCounter<long>("controlplane.workqueue.retries", description: "Keys re-queued with backoff after a transient error.");
        _watchRestarts = meter.CreateCounter<long>("controlplane.watch.restarts", description: "Watch streams restarted, by reason (closed, expired, error).");
        _relists = meter.CreateCounter<long>("controlplane.watch.relists", description: "Full LISTs (initial sync and after 410 Expired).");
        _jobRuns = meter.CreateCounter<long>("controlplane.periodic_job.runs", description: "Runs of the leader's periodic jobs, by job and result (succeeded, failed).");
        meter.CreateObservableGauge("controlplane.workqueue.depth", () => _queueDepth(), description: "Keys waiting for a worker.");
        meter.CreateObservableGauge("controlplane.leader", () => _isLeader() ? 1 : 0, description: "1 while this replica holds the leader lease.");
    }

    public void Reconciled(string result, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("result", result);
        _reconciles.Add(1, tag);
        _reconcileDuration.Record(duration.TotalSeconds, tag);
    }

    public void Retried() => _retries.Add(1);

    public void WatchRestarted(string reason) => _watchRestarts.Add(1, new KeyValuePair<string, object?>("reason", reason));

    public void Relisted() => _relists.Add(1);

    public void JobRan(string job, bool succeeded) =>
        _jobRuns.Add(1, new KeyValuePair<string, object?>("job", job), new KeyValuePair<string, object?>("result", succeeded ? "succeeded" : "failed"));

    /// <summary>Adds a work queue to the depth gauge (every controller of the process has one).</summary>
    public void ObserveQueueDepth(Func<int> depth)
    {
        var others = _queueDepth;
        _queueDepth = () => others() + depth();
    }

    public void ObserveLeadership(Func<bool> isLeader) => _isLeader = isLeader;
}
