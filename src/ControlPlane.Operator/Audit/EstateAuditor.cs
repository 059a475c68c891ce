using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Audit;

/// <summary>
/// The periodic estate audit, run by the leader: observe, compare, and report: metrics per kind, a log line per
/// finding, and an <c>audit_finding</c> catalog event where the finding belongs to a tenant row. Nothing is changed.
/// A finding counts once two consecutive audits agree on it, so a tenant caught between two steps of a reconcile (its
/// row written, its status not yet) is not reported; it is recorded when first confirmed and again only after an audit
/// without it (the state is this process's: a new leader records a persisting finding once more).
/// </summary>
public sealed class EstateAuditor(EstateObserver observer, TenantCatalog catalog, EstateAuditMetrics metrics, string actor, ILogger logger)
{
    private HashSet<string> _seen = [];
    private Dictionary<string, AuditFinding> _reported = [];

    /// <summary>One audit; returns the confirmed findings (seen by this audit and the previous one).</summary>
    public async Task<AuditReport> RunOnceAsync(CancellationToken cancellationToken)
    {
        var report = EstateAudit.Compare(await observer.ObserveAsync(cancellationToken));
        var confirmed = report with { Findings = [.. report.Findings.Where(f => _seen.Contains(f.Fingerprint))] };
        _seen = [.. report.Findings.Select(f => f.Fingerprint)];

        var fresh = confirmed.Findings.Where(f => !_reported.ContainsKey(f.Fingerprint)).ToList();
        foreach (var finding in fresh)
        {
            await ReportAsync(finding, cancellationToken);
        }

        foreach (var gone in _reported.Values.Where(f => !confirmed.Findings.Any(c => c.Fingerprint == f.Fingerprint)))
        {
            Log.AuditResolved(logger, gone.Kind, gone.Subject);
        }

        _reported = confirmed.Findings.ToDictionary(f => f.Fingerprint);
        metrics.Succeeded(confirmed.CountsByKind());
        if (confirmed.NotChecked is { } notChecked)
        {
            Log.AuditNotChecked(logger, notChecked);
        }

        Log.AuditDone(logger, confirmed.Findings.Count(f => f.IsProblem), confirmed.Findings.Count(f => !f.IsProblem), fresh.Count,
            report.LiveRows, report.DeletedRows, report.Servers, report.Tenants);
        return confirmed;
    }

    /// <summary>
    /// One audit of the leader's periodic job (<see cref="Runtime.PeriodicJob"/>): skipped while the Tenant informer has
    /// not synced (an empty cache would make every row look orphaned), forgetting what was seen so nothing is confirmed
    /// across the gap. A failed audit is logged and counted (false) and the next one comes a period later.
    /// </summary>
    public async Task<bool> RunScheduledAsync(Func<bool> synced, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(synced);
        if (!synced())
        {
            (_seen, _reported) = ([], []);
            return true;
        }

        try
        {
            await RunOnceAsync(cancellationToken);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            metrics.Failed();
            Log.AuditFailed(logger, e);
            return false;
        }
    }

    private async Task ReportAsync(AuditFinding finding, CancellationToken cancellationToken)
    {
        if (finding.IsProblem)
        {
            Log.AuditFound(logger, finding.Kind, finding.Subject, finding.TenantId, finding.Detail, finding.Action);
        }
        else
        {
            Log.AuditNotice(logger, finding.Kind, finding.Subject, finding.TenantId, finding.Detail);
        }

        if (finding.TenantId is not { } id)
        {
            return;
        }

        try
        {
            await catalog.RecordAuditFindingAsync(id, finding.Kind, finding.Subject, finding.Detail, finding.Action, actor, cancellationToken);
        }
        catch (TenantNotFoundException)
        {
            // The row was removed since the observation: the next audit reports what that leaves.
        }
    }
}
