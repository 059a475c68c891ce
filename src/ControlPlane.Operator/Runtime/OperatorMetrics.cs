using System.Diagnostics.Metrics;

namespace ControlPlane.Operator.Runtime;

/// <summary>
/// The operator's instruments (meter <see cref="MeterName"/>), exported at <c>/metrics</c> in Prometheus form:
/// <c>controlplane_reconciles_total{result}</c>, <c>controlplane_reconcile_duration_seconds</c>,
/// <c>controlplane_workqueue_depth</c>, <c>controlplane_workqueue_retries_total</c>,
/// <c>controlplane_watch_restarts_total{reason}</c>, <c>controlplane_watch_relists_total</c>,
/// <c>controlplane_leader</c>, <c>controlplane_tenants{phase}</c>, <c>controlplane_tenants_schema_version{version}</c> and
/// <c>controlplane_tenants_schema_misaligned</c>, <c>controlplane_schemarollouts{phase}</c>,
/// <c>controlplane_periodic_job_runs_total{job,result}</c>, <c>controlplane_admin_password_rotations_total{server,result}</c> and,
/// per tenant database server,
/// <c>controlplane_server_operations_in_flight{server}</c>, <c>controlplane_server_operations_waiting{server}</c> and
/// <c>controlplane_server_operations_limit{server}</c>.
/// Gauges read their sources at scrape time through the <c>Observe*</c> hooks.
/// </summary>
public sealed class OperatorMetrics
{
    public const string MeterName = "ControlPlane.Operator";

    private readonly Counter<long> _reconciles;
    private readonly Histogram<double> _reconcileDuration;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _watchRestarts;
    private readonly Counter<long> _relists;
    private readonly Counter<long> _jobRuns;
    private readonly Counter<long> _adminPasswordRotations;
    private Func<int> _queueDepth = () => 0;
    private Func<bool> _isLeader = () => false;
    private Func<IEnumerable<KeyValuePair<string, int>>> _byPhase = () => [];
    private Func<IEnumerable<KeyValuePair<string, int>>> _bySchemaVersion = () => [];
    private Func<int> _misaligned = () => 0;
    private Func<IEnumerable<KeyValuePair<string, int>>> _rolloutsByPhase = () => [];
    private Func<IEnumerable<ServerOperations>> _serverOperations = () => [];

    public OperatorMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _reconciles = meter.CreateCounter<long>("controlplane.reconciles", description: "Reconciles by result.");
        _reconcileDuration = meter.CreateHistogram<double>(
            "controlplane.reconcile.duration", unit: "s", description: "Time spent in one reconcile.");
        _retries = meter.CreateCounter<long>("controlplane.workqueue.retries", description: "Keys re-queued with backoff after a transient error.");
        _watchRestarts = meter.CreateCounter<long>("controlplane.watch.restarts", description: "Watch streams restarted, by reason (closed, expired, error).");
        _relists = meter.CreateCounter<long>("controlplane.watch.relists", description: "Full LISTs (initial sync and after 410 Expired).");
        _jobRuns = meter.CreateCounter<long>("controlplane.periodic_job.runs", description: "Runs of the leader's periodic jobs, by job and result (succeeded, failed).");
        _adminPasswordRotations = meter.CreateCounter<long>(
            "controlplane.admin_password.rotations", description: "Admin password rotation attempts of tenant database servers, by server and result (rotated, busy, failed).");
        meter.CreateObservableGauge("controlplane.workqueue.depth", () => _queueDepth(), description: "Keys waiting for a worker.");
        meter.CreateObservableGauge("controlplane.leader", () => _isLeader() ? 1 : 0, description: "1 while this replica holds the leader lease.");
        meter.CreateObservableGauge(
            "controlplane.tenants",
            () => _byPhase().Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("phase", p.Key))),
            description: "Tenants in the informer cache, by status phase.");
        meter.CreateObservableGauge(
            "controlplane.tenants.schema_version",
            () => _bySchemaVersion().Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("version", p.Key))),
            description: "Tenants in the informer cache, by the schema version their status reports (the fleet's version distribution).");
        meter.CreateObservableGauge(
            "controlplane.tenants.schema_misaligned",
            () => _misaligned(),
            description: "Tenants whose spec.schemaVersion asks for a version their status does not report (migrating, failed or refused).");
        meter.CreateObservableGauge(
            "controlplane.schemarollouts",
            () => _rolloutsByPhase().Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("phase", p.Key))),
            description: "SchemaRollouts in the informer cache, by status phase.");
        meter.CreateObservableGauge(
            "controlplane.server.operations.in_flight",
            () => _serverOperations().Select(s => new Measurement<int>(s.InFlight, new KeyValuePair<string, object?>("server", s.Server))),
            description: "Operations (provisioning, resync, migration, deletion) running on each tenant database server.");
        meter.CreateObservableGauge(
            "controlplane.server.operations.waiting",
            () => _serverOperations().Select(s => new Measurement<int>(s.Waiting, new KeyValuePair<string, object?>("server", s.Server))),
            description: "Tenants in line for an operation slot of each tenant database server.");
        meter.CreateObservableGauge(
            "controlplane.server.operations.limit",
            () => _serverOperations().Select(s => new Measurement<int>(s.Limit, new KeyValuePair<string, object?>("server", s.Server))),
            description: "Each tenant database server's maxConcurrentOperations.");
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

    /// <summary>One admin password rotation attempt that did something or failed (a look that found nothing due is not counted).</summary>
    public void AdminPasswordRotation(string server, string result) =>
        _adminPasswordRotations.Add(1, new KeyValuePair<string, object?>("server", server), new KeyValuePair<string, object?>("result", result));

    /// <summary>Adds a work queue to the depth gauge (the Tenant and the SchemaRollout controllers each have one).</summary>
    public void ObserveQueueDepth(Func<int> depth)
    {
        var others = _queueDepth;
        _queueDepth = () => others() + depth();
    }

    public void ObserveLeadership(Func<bool> isLeader) => _isLeader = isLeader;

    public void ObservePhases(Func<IEnumerable<KeyValuePair<string, int>>> byPhase) => _byPhase = byPhase;

    /// <summary>The per-server operation slots, read at scrape time (servers may come and go).</summary>
    public void ObserveServerOperations(Func<IEnumerable<ServerOperations>> servers) => _serverOperations = servers;

    public void ObserveRolloutPhases(Func<IEnumerable<KeyValuePair<string, int>>> byPhase) => _rolloutsByPhase = byPhase;

    public void ObserveSchemaVersions(Func<IEnumerable<KeyValuePair<string, int>>> byVersion, Func<int> misaligned)
    {
        _bySchemaVersion = byVersion;
        _misaligned = misaligned;
    }
}

/// <summary>One tenant database server's operation slots at scrape time.</summary>
public readonly record struct ServerOperations(string Server, int InFlight, int Waiting, int Limit);
