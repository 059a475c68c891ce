using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using CatalogTenant = ControlPlane.Store.Catalog.Tenant;
using CatalogTenantStatus = ControlPlane.Store.Catalog.TenantStatus;
using Tenant = ControlPlane.Operator.Api.V1Alpha1.Tenant;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Deletion behind the finalizer: catalog <c>deleting</c> → per <c>deletionPolicy</c> drop (Delete) or lock down
/// (Retain) → catalog soft delete → finalizer removed. Never stuck on a tenant that never finished provisioning, whose
/// database is already gone, or whose spec was never valid.
/// </summary>
public sealed partial class TenantReconciler
{
    private async Task<ReconcileResult> DeleteAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (!_finalizers.IsPresent(tenant))
        {
            return ReconcileResult.Success();
        }

        var marked = await _status.UpdateAsync(tenant, t => TenantStatusRules.Deleting(t, time.GetUtcNow()), cancellationToken);
        if (marked is null)
        {
            return ReconcileResult.Success();
        }

        // A Tenant that never got a catalog row created nothing outside Kubernetes.
        var row = await OwnRowAsync(marked, cancellationToken);
        if (row is not null && row.Status != CatalogTenantStatus.Deleted)
        {
            var validation = TenantValidation.Of(marked, _validation);
            if (validation is TenantValidation.Invalid invalid)
            {
                return await BlockAsync(marked, row, TenantConditions.Reasons.InvalidSpec,
                    "Cannot clean up: " + string.Join(" ", invalid.Problems), ReconcileResult.RequeueAfter(BlockedRecheck), cancellationToken);
            }

            var intent = ((TenantValidation.Valid)validation).Intent;
            var actor = Actor(marked);
            var server = lifecycle.Servers.Get(intent.Server);

            // Deletion touches only what carries this tenant's mark, whatever the row says; unmarked objects of the
            // previous release only while the row still proves this tenant finished provisioning them.
            var claim = row.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended
                && intent.Describes(row, new TenantDatabaseServerAddress(server.Name, server.Host, server.Port));
            var spec = intent.DatabaseSpec(new Store.TenantDatabases.TenantOwnership(row.Id, ClaimUnmarked: claim));
            try
            {
                row = await lifecycle.Catalog.MarkDeletingAsync(row.Id, actor, cancellationToken);
                await lifecycle.Faults.AfterAsync(ProvisioningSteps.MarkedDeleting, cancellationToken);

                var left = await RemoveDatabaseAsync(server, intent, spec, cancellationToken);
                await lifecycle.Faults.AfterAsync(ProvisioningSteps.DatabaseRemoved, cancellationToken);
                if (left.Count > 0)
                {
                    var objects = string.Join(", ", left);
                    Log.LeftNotOwned(logger, intent.Slug, objects);
                    await events.RecordAsync(marked, EventRecorder.Warning, TenantConditions.Reasons.DatabaseConflict,
                        $"Left on the server because they do not carry this tenant's ownership mark: {objects}.", cancellationToken);
                }

                // The generated secret goes with the role: a role this tenant cannot prove its own keeps its secret too.
                await RemoveSecretAsync(intent, roleRemoved: !left.Any(o => o.StartsWith("role ", StringComparison.Ordinal)), cancellationToken);
                await lifecycle.Faults.AfterAsync(ProvisioningSteps.SecretRemoved, cancellationToken);

                await lifecycle.Catalog.MarkDeletedAsync(row.Id, actor, cancellationToken);
                await lifecycle.Faults.AfterAsync(ProvisioningSteps.MarkedDeleted, cancellationToken);
            }
            catch (TenantServerException e)
            {
                return await BlockAsync(marked, row, e.Reason, e.Message, ReconcileResult.TransientError(e.Message, e), cancellationToken);
            }
            catch (SecretStoreException e)
            {
                var result = e.IsTransient ? ReconcileResult.TransientError(e.Message, e) : ReconcileResult.RequeueAfter(BlockedRecheck);
                return await BlockAsync(marked, row, TenantConditions.Reasons.SecretUnavailable, e.Message, result, cancellationToken);
            }
        }

        await _finalizers.RemoveAsync(marked, cancellationToken);
        await events.RecordAsync(marked, EventRecorder.Normal, "Deleted",
            row is null ? "Nothing was provisioned; finalizer removed." : $"Tenant {row.Slug} deleted ({marked.Spec.DeletionPolicy ?? DeletionPolicies.Retain}).",
            cancellationToken);
        return ReconcileResult.Success();
    }

    /// <summary>
    /// The catalog row this Tenant created: the one its status names when that row is this object's, else the live row
    /// recorded for its namespace and name (status lost); never another object's row.
    /// </summary>
    private async Task<CatalogTenant?> OwnRowAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(tenant.Status.TenantId, out var id))
        {
            try
            {
                var known = await lifecycle.Catalog.GetByIdAsync(id, cancellationToken);
                if (known.Owner is null || known.Owner.IsSameObject(OwnerOf(tenant)))
                {
                    return known;
                }
            }
            catch (TenantNotFoundException)
            {
                // Removed by hand: look for the row recorded for this object below.
            }
        }

        return await lifecycle.Catalog.FindLiveByOwnerAsync(tenant.Metadata.NamespaceProperty, tenant.Metadata.Name, cancellationToken);
    }

    /// <summary>Drops (Delete) or locks down (Retain) what the tenant provably owns; returns what was left as not its own.</summary>
    private static async Task<IReadOnlyList<string>> RemoveDatabaseAsync(
        TenantDatabaseServer server, TenantIntent intent, Store.TenantDatabases.TenantDatabaseSpec spec, CancellationToken cancellationToken)
    {
        IReadOnlyList<string> left = [];
        await OnServerAsync(server, async () =>
        {
            if (intent.DeleteData)
            {
                left = await server.Administrator.DropAsync(spec, cancellationToken);
            }
            else if ((await server.Administrator.ProveAsync(spec, cancellationToken)).Problem is null)
            {
                await server.Administrator.RetainAsync(spec, cancellationToken);
            }
            else
            {
                left = ["the database and role (not locked down)"];
            }
        });
        return left;
    }

    /// <summary>
    /// Delete removes a generated secret (the store refuses secrets it did not create) once the role it belongs to was
    /// removed or never existed; Retain keeps it with the data.
    /// </summary>
    private async Task RemoveSecretAsync(TenantIntent intent, bool roleRemoved, CancellationToken cancellationToken)
    {
        if (intent.DeleteData && intent.GeneratedSecret && roleRemoved)
        {
            await lifecycle.Secrets.DeleteAsync(intent.SecretRef, cancellationToken);
        }
    }
}
