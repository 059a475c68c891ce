using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using k8s;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Placement of a Tenant without <c>spec.database.server</c> (issue 17, ADR-CP-010): the server is chosen once and is
/// fixed from then on. Status caches it; the catalog's <c>db_server</c> is where it is rebuilt from after status loss;
/// between the choice and the catalog row the choice is held in memory (<see cref="TenantPlacements"/>).
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>
    /// The Tenant with its server known (in memory: <c>status.database.server</c>, which the next status write
    /// records), or the result of leaving it pending when no server takes it.
    /// </summary>
    private async Task<(Tenant Tenant, ReconcileResult? Stop)> PlaceAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (!TenantSpecRules.Unplaced(tenant))
        {
            return (tenant, null);
        }

        // The spec's own rules first: an invalid Tenant takes no capacity anywhere.
        var problems = TenantSpecSchema.Check(tenant);
        if (problems.Count > 0)
        {
            return (tenant, await RefuseAsync(tenant, problems, cancellationToken));
        }

        var owner = OwnerOf(tenant);
        var recorded = await lifecycle.Catalog.FindLiveByOwnerAsync(owner.Namespace, owner.Name, cancellationToken);
        var server = recorded is not null ? RecordedServer(recorded) : lifecycle.Placements.Pending(owner);
        if (server is null)
        {
            var decision = await lifecycle.Placements.ChooseAsync(owner, (excluded, pending) => PlanAsync(tenant, excluded, pending, cancellationToken), cancellationToken);
            if (decision is PlacementDecision.NoServer none)
            {
                Log.NoServerAvailable(logger, TenantSpecRules.EffectiveSlug(tenant), none.Message);
                await _status.UpdateAsync(tenant, t => TenantStatusRules.Blocked(t, TenantReadyReason.NoServerAvailable, none.Message, time.GetUtcNow()), cancellationToken);

                // Looked at again when a server becomes ready (TenantDatabaseServerOperator re-queues pending Tenants), and periodically.
                return (tenant, ReconcileResult.RequeueAfter(BlockedRecheck));
            }

            server = ((PlacementDecision.Placed)decision).Server;
            Log.Placed(logger, TenantSpecRules.EffectiveSlug(tenant), server);
        }

        return (WithServer(tenant, server), null);
    }

    private async Task<PlacementDecision> PlanAsync(
        Tenant tenant, IReadOnlyCollection<Store.Catalog.TenantOwner> excluded, IReadOnlyCollection<string> pending, CancellationToken cancellationToken)
    {
        var load = await lifecycle.Catalog.CountLiveByServerAsync(excluded, cancellationToken);
        var candidates = ServerPlacement.Candidates(lifecycle.Servers.Snapshot(), load, pending);
        return ServerPlacement.Choose(candidates, tenant.Spec.Database?.ServerSelector?.MatchLabels?.AsReadOnly());
    }

    /// <summary>
    /// The server a catalog row records: its <c>db_server</c>, or for a row of the previous release the server at its
    /// host and port. Never a new choice: a tenant that exists somewhere is not placed again.
    /// </summary>
    private string RecordedServer(CatalogTenant row) =>
        row.DbServer
        ?? lifecycle.Servers.Snapshot().FirstOrDefault(s => string.Equals(s.Server.Host, row.DbHost, StringComparison.OrdinalIgnoreCase) && s.Server.Port == row.DbPort).Server?.Name
        ?? throw new TenantDatabaseConflictException(TenantDatabaseConflictKind.CatalogMismatch,
            $"The catalog records tenant {row.Id} on {row.DbHost}:{row.DbPort}, which no known tenant database server serves; set spec.database.server or restore the server.");

    /// <summary>A copy of the Tenant (never the informer's object) whose status names <paramref name="server"/>.</summary>
    private static Tenant WithServer(Tenant tenant, string server)
    {
        var copy = KubernetesJson.Deserialize<Tenant>(KubernetesJson.Serialize(tenant));
        copy.Status.Database ??= new TenantDatabaseStatus();
        copy.Status.Database.Server = server;
        return copy;
    }
}
