using ControlPlane.Operator.Provisioning;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The leader's admin password work (issue 16): for every tenant database server whose admin password lives in a
/// backend the operator can write, converge an interrupted rotation (a crash, a killed <c>rotate-admin-password</c>)
/// and rotate when <c>AdminPasswordRotateEvery</c> is due. Runs only while leading; a new leader converges first thing.
/// </summary>
public sealed class AdminPasswordSchedule(TenantDatabaseServers servers, AdminPasswordRotator rotator, TimeProvider time, ILogger<AdminPasswordSchedule> logger)
{
    /// <summary>Longest wait between looks: an interrupted rotation is finished within this, a schedule falls due sooner.</summary>
    public TimeSpan Recheck { get; init; } = TimeSpan.FromMinutes(5);

    public async Task RunAsync(CancellationToken leading)
    {
        var rotatable = servers.Names.Order(StringComparer.Ordinal).Select(servers.Get)
            .Where(s => s.AdminSecret is { } reference && AdminPasswordRules.CanRotate(reference))
            .ToList();
        if (rotatable.Count == 0)
        {
            return;
        }

        while (!leading.IsCancellationRequested)
        {
            var wait = Recheck;
            foreach (var server in rotatable)
            {
                var next = await LookAsync(server, leading);
                if (next is { } due)
                {
                    var until = due - time.GetUtcNow();
                    wait = until < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : until < wait ? until : wait;
                }
            }

            try
            {
                await Task.Delay(wait, time, leading);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>One server's look; when its schedule falls due next (null: no schedule or not known).</summary>
    private async Task<DateTimeOffset?> LookAsync(TenantDatabaseServer server, CancellationToken leading)
    {
        try
        {
            return (await rotator.RotateAsync(server, onDemand: false, leading)).NextDue;
        }
        catch (Exception e) when (!leading.IsCancellationRequested)
        {
            // A crash of one attempt (the rotator names every expected failure itself): the next look converges.
            Log.AdminPasswordScheduleFailed(logger, e, server.Name);
            return null;
        }
    }
}
