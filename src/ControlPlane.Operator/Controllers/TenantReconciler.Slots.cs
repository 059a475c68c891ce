using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Per-server operation limits (issue 17): the server phase of a reconcile (provisioning, resync, migration, rotation,
/// deletion) runs inside one of its server's <see cref="ServerOperationSlots"/>. A Tenant whose server is busy does not
/// wait on a worker: the reconcile ends with a requeue, the Tenant keeps its place in the server's line, and the slot's
/// release wakes it through the work queue. Workers therefore stay free for the Tenants of other servers.
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>
    /// When a Tenant in line asks again although no wake came (a safety net: wakes are the normal path); well within
    /// <see cref="ServerOperationSlots.StaleAfter"/>, so a Tenant still waiting keeps its place.
    /// </summary>
    internal static readonly TimeSpan ServerBusyRecheck = TimeSpan.FromSeconds(10);

    /// <summary>The one result of a pass that waits in a server's line (compared by reference in ReconcileAsync).</summary>
    private static readonly ReconcileResult InLine = ReconcileResult.RequeueAfter(ServerBusyRecheck);

    /// <summary>A slot on <paramref name="server"/> for this Tenant, or null when it must wait (then it is in line).</summary>
    private ServerOperationSlot? TryEnter(Tenant tenant, TenantDatabaseServer server)
    {
        var key = ResourceKey.Of(tenant);
        return server.Operations.TryEnter(key.ToString(), () => wake?.Invoke(key));
    }

    /// <summary>
    /// The server is busy: named in the log, and in Ready=False <c>DatabaseServerBusy</c> while the Tenant has not been
    /// provisioned yet (an Active or Suspended Tenant waiting for a resync or migration keeps its condition: it still
    /// serves, and flipping Ready would page for a queue). The message names no counts, so waiting writes status once.
    /// </summary>
    private async Task<ReconcileResult> WaitForServerAsync(Tenant tenant, TenantDatabaseServer server, CancellationToken cancellationToken)
    {
        var slots = server.Operations;
        Log.ServerBusy(logger, TenantSpecRules.EffectiveSlug(tenant), server.Name, slots.InFlight, slots.Limit, slots.PlaceOf(ResourceKey.Of(tenant).ToString()) ?? 0);
        if (tenant.Status.Phase is null or TenantPhases.Provisioning && !Finalizers<Tenant>.IsDeleting(tenant))
        {
            var message = $"Waiting for one of the {slots.Limit} operation slots of database server '{server.Name}' (maxConcurrentOperations); " +
                          "provisioning starts when one frees.";
            await _status.UpdateAsync(tenant, t => TenantStatusRules.Blocked(t, TenantReadyReason.DatabaseServerBusy, message, time.GetUtcNow()), cancellationToken);
        }

        // In this server's line only: a spec moved to another server leaves the old server's line at once.
        LeaveLines(tenant, except: server.Name);
        return InLine;
    }

    /// <summary>Takes the Tenant out of the line of every server (but <paramref name="except"/>); a no-op where it is not waiting.</summary>
    private void LeaveLines(Tenant tenant, string? except)
    {
        var key = ResourceKey.Of(tenant).ToString();
        foreach (var server in lifecycle.Servers.All.Where(s => s.Name != except))
        {
            server.Operations.Leave(key);
        }
    }
}
