using ControlPlane.Store.Health;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ControlPlane.Operator.Monitoring;

/// <summary>
/// The catalog's §9 health checks (<see cref="CatalogHealth"/>, the <c>health</c> command's report), evaluated by the
/// leader on a period and kept for <see cref="CatalogHealthMetrics"/>, so a tenant stuck in provisioning or a drifted
/// schema version raises an alert instead of waiting for someone to run the command. A failed evaluation keeps the
/// last report: its age (<c>controlplane_catalog_health_evaluated_timestamp_seconds</c>) is what alerts then.
/// </summary>
public sealed class CatalogHealthMonitor(NpgsqlDataSource catalog, TimeSpan stuckAfter, TimeProvider time, ILogger<CatalogHealthMonitor> logger)
{
    private volatile CatalogHealthSnapshot? _latest;

    /// <summary>The newest successful evaluation; null before the first.</summary>
    public CatalogHealthSnapshot? Latest => _latest;

    public async Task EvaluateAsync(CancellationToken cancellationToken)
    {
        var report = await CatalogHealth.CheckAsync(catalog, stuckAfter, cancellationToken);
        var snapshot = new CatalogHealthSnapshot(report, time.GetUtcNow());
        var previous = _latest;
        _latest = snapshot;
        if (!report.Healthy && snapshot.FailingSummary != previous?.FailingSummary)
        {
            // Once per change of the failing set, not per evaluation: the metrics carry the steady state.
            Log.CatalogUnhealthy(logger, report.Checks.Count(c => !c.Passed), report.Checks.Count, snapshot.FailingSummary);
        }
    }
}

/// <summary>One evaluation of the health checks and when it finished.</summary>
public sealed record CatalogHealthSnapshot(HealthReport Report, DateTimeOffset EvaluatedAt)
{
    internal string FailingSummary { get; } =
        string.Join(", ", Report.Checks.Where(c => !c.Passed).Select(c => $"{c.Name}: {c.Offenders.Count}"));
}
