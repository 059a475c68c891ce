using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The leader's admin password work (issue 16): for every tenant database server whose admin password lives in a
/// backend the operator can write, converge an interrupted rotation (a crash, a killed <c>rotate-admin-password</c>)
/// and rotate when <c>AdminPasswordRotateEvery</c> is due. Runs only while leading; a new leader converges first thing.
/// </summary>
public sealed class AdminPasswordSchedule(TenantDatabaseServers servers, AdminPasswordRotator rotator, ILogger<AdminPasswordSchedule> logger)
{
    /// <summary>Time between looks: an interrupted rotation is finished, and a due schedule rotated, within this.</summary>
    public TimeSpan Recheck { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>The leader's periodic job: a look at once when the term starts, then every <see cref="Recheck"/>.</summary>
    public PeriodicJob Job(TimeProvider jobTime, OperatorMetrics metrics, ILogger<PeriodicJob> jobLogger) =>
        new("admin-passwords", Recheck, LookAllAsync, jobTime, metrics.Runtime, jobLogger);

    /// <summary>
    /// One look at every server whose admin password the operator can write, as registered now (servers come and go);
    /// false when a look crashed (logged per server; the next look converges).
    /// </summary>
    public async Task<bool> LookAllAsync(CancellationToken leading)
    {
        var succeeded = true;
        foreach (var server in servers.All.Where(s => s.AdminSecret is { } reference && AdminPasswordRules.CanRotate(reference)).OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            succeeded &= await LookAsync(server, leading);
        }

        return succeeded;
    }

    /// <summary>One server's look; false when it crashed outside a rotation step.</summary>
    private async Task<bool> LookAsync(TenantDatabaseServer server, CancellationToken leading)
    {
        try
        {
            await rotator.RotateAsync(server, onDemand: false, leading);
            return true;
        }
        catch (Exception e) when (!leading.IsCancellationRequested)
        {
            // A crash of one attempt (the rotator names every expected failure itself): the next look converges.
            Log.AdminPasswordScheduleFailed(logger, e, server.Name);
            return false;
        }
    }
}
