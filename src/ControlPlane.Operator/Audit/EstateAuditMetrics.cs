using System.Diagnostics.Metrics;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Audit;

/// <summary>
/// The estate audit's instruments, on the operator's meter (<see cref="OperatorMetrics.MeterName"/>):
/// <c>controlplane_audit_findings{kind}</c> (the last audit's confirmed findings, every kind present) and
/// <c>controlplane_audit_runs_total{result}</c> (<c>ok</c>, <c>failed</c>).
/// </summary>
public sealed class EstateAuditMetrics
{
    private readonly Counter<long> _runs;
    private volatile IReadOnlyDictionary<string, int> _findings = AuditFindingKinds.All.ToDictionary(k => k, _ => 0);

    public EstateAuditMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(OperatorMetrics.MeterName);
        _runs = meter.CreateCounter<long>("controlplane.audit.runs", description: "Estate audits run by the leader, by result (ok, failed).");
        meter.CreateObservableGauge(
            "controlplane.audit.findings",
            () => _findings.Select(p => new Measurement<int>(p.Value, new KeyValuePair<string, object?>("kind", p.Key))),
            description: "Findings of the last estate audit by kind (confirmed by two consecutive audits); nothing is changed automatically.");
    }

    /// <summary>The findings per kind of the last audit (<see cref="AuditReport.CountsByKind"/>).</summary>
    public IReadOnlyDictionary<string, int> Findings => _findings;

    public void Succeeded(IReadOnlyDictionary<string, int> findings)
    {
        _findings = findings;
        _runs.Add(1, new KeyValuePair<string, object?>("result", "ok"));
    }

    public void Failed() => _runs.Add(1, new KeyValuePair<string, object?>("result", "failed"));
}
