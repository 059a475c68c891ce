using System.Diagnostics.Metrics;
using ControlPlane.Runtime;

namespace ControlPlane.Operator;

/// <summary>
/// The operator's instruments (meter <see cref="MeterName"/>), exported at <c>/metrics</c> in Prometheus form: the
/// controller runtime's (<see cref="Runtime"/>, see <see cref="RuntimeMetrics"/>) and the operator's own:
/// <c>controlplane_tenants{phase}</c>, <c>controlplane_tenants_schema_version{version}</c> and
/// <c>controlplane_tenants_schema_misaligned</c>, <c>controlplane_schemarollouts{phase}</c>,
/// <c>controlplane_admin_password_rotations_total{server,result}</c> and, per tenant database server,
/// <c>controlplane_server_operations_in_flight{server}</c>, <c>controlplane_server_operations_waiting{server}</c> and
/// <c>controlplane_server_operations_limit{server}</c>.
/// Gauges read their sources at scrape time through the <c>Observe*</c> hooks.
/// </summary>
public sealed class OperatorMetrics
{
    public const string MeterName = "ControlPlane.Operator";

    private readonly Counter<long> _adminPasswordRotations;
    private Func<IEnumerable<KeyValuePair<string, int>>> _byPhase = () => [];
    private Func<IEnumerable<KeyValuePair<string, int>>> _bySchemaVersion = () => [];
    private Func<int> _misaligned = () => 0;
    private Func<IEnumerable<KeyValuePair<string, int>>> _rolloutsByPhase = () => [];
    private Func<IEnumerable<ServerOperations>> _serverOperations = () => [];

    public OperatorMetrics(IMeterFactory meterFactory)
    {
        // The runtime's instruments live on the same meter: one /metrics family, names unchanged by the split.
        Runtime = new RuntimeMetrics(meterFactory, MeterName);
        var meter = meterFactory.Create(MeterName);
        _adminPasswordRotations = meter.CreateCounter<long>(
            "controlplane.admin_password.rotations", description: "Admin password rotation attempts of tenant database servers, by server and result (rotated, busy, failed).");
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

    /// <summary>The controller runtime's instruments on this meter (one instance: its gauges are registered once).</summary>
    public RuntimeMetrics Runtime { get; }

    /// <summary>One admin password rotation attempt that did something or failed (a look that found nothing due is not counted).</summary>
    public void AdminPasswordRotation(string server, string result) =>
        _adminPasswordRotations.Add(1, new KeyValuePair<string, object?>("server", server), new KeyValuePair<string, object?>("result", result));

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
