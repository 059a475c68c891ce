using ControlPlane.Operator.Audit;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// Runs the periodic estate audit (<see cref="OperatorOptions.AuditPeriod"/>; 0 turns it off) on every replica, auditing
/// only while this one leads and its Tenant informer has synced (an unsynced cache would make every row look orphaned).
/// </summary>
internal sealed class EstateAuditService(TenantOperator tenantOperator, EstateAuditor auditor, TimeSpan period, TimeProvider time) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        period == TimeSpan.Zero
            ? Task.CompletedTask
            : auditor.RunAsync(period, () => tenantOperator.Leadership.IsLeader && tenantOperator.Informer.HasSynced, time, stoppingToken);
}
