using System.Diagnostics.Metrics;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Monitoring;

/// <summary>
/// Exports the leader's latest catalog health evaluation on the operator's meter:
/// <c>controlplane_catalog_health_offenders{check}</c> (every check, 0 when it passes),
/// <c>controlplane_catalog_health_offending_tenant{check,slug}</c> (1 per offender, at most
/// <see cref="OffendersPerCheck"/> per check, first by slug: a bounded label set however broken the catalog is; the
/// count above stays exact) and <c>controlplane_catalog_health_evaluated_timestamp_seconds</c>. Nothing is reported
/// while <c>current</c> returns null (not the leader, or no evaluation yet), so a follower never exports a stale report.
/// </summary>
public sealed class CatalogHealthMetrics
{
    public const int OffendersPerCheck = 10;

    public CatalogHealthMetrics(IMeterFactory meterFactory, Func<CatalogHealthSnapshot?> current)
    {
        var meter = meterFactory.Create(OperatorMetrics.MeterName);
        meter.CreateObservableGauge<int>(
            "controlplane.catalog_health.offenders",
            () => current() is { } snapshot
                ? snapshot.Report.Checks.Select(c => new Measurement<int>(c.Offenders.Count, new KeyValuePair<string, object?>("check", c.Name)))
                : [],
            description: "Tenants breaking each catalog health check (specification §9) at the leader's last evaluation; 0 when the check passes.");
        meter.CreateObservableGauge<int>(
            "controlplane.catalog_health.offending_tenant",
            () => current() is { } snapshot ? OffendingTenants(snapshot) : [],
            description: $"1 per tenant breaking a check, at most {OffendersPerCheck} per check (first by slug).");
        meter.CreateObservableGauge<double>(
            "controlplane.catalog_health.evaluated_timestamp",
            () => current() is { } snapshot ? [new Measurement<double>(snapshot.EvaluatedAt.ToUnixTimeMilliseconds() / 1000.0)] : [],
            unit: "s",
            description: "Unix time of the leader's last successful catalog health evaluation.");
    }

    private static IEnumerable<Measurement<int>> OffendingTenants(CatalogHealthSnapshot snapshot) =>
        snapshot.Report.Checks.SelectMany(check => check.Offenders
            .Select(o => o.Slug)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal)
            .Take(OffendersPerCheck)
            .Select(slug => new Measurement<int>(
                1, new KeyValuePair<string, object?>("check", check.Name), new KeyValuePair<string, object?>("slug", slug))));
}
