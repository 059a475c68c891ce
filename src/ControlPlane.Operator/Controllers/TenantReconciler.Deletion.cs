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
            try
            {
                row = await lifecycle.Catalog.MarkDeletingAsync(row.Id, actor, cancellationToken);
                await lifecycle.Faults.AfterAsync(ProvisioningSteps.MarkedDeleting, cancellationToken);

                await RemoveDatabaseAsync(intent, cancellationToken);
                await lifecycle.Faults.AfterAsync(ProvisioningSteps.DatabaseRemoved, cancellationToken);

                await RemoveSecretAsync(intent, cancellationToken);
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

    /// <summary>The catalog row this Tenant created, found by the id its status recorded; never another tenant's row.</summary>
    private async Task<CatalogTenant?> OwnRowAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(tenant.Status.TenantId, out var id))
        {
            return null;
        }

        try
        {
            return await lifecycle.Catalog.GetByIdAsync(id, cancellationToken);
        }
        catch (TenantNotFoundException)
        {
            return null;
        }
    }

    private async Task RemoveDatabaseAsync(TenantIntent intent, CancellationToken cancellationToken)
    {
        var server = lifecycle.Servers.Get(intent.Server);
        await OnServerAsync(server, async () =>
        {
            if (intent.DeleteData)
            {
                await server.Administrator.DropAsync(intent.DatabaseSpec, cancellationToken);
            }
            else
            {
                await server.Administrator.RetainAsync(intent.DatabaseSpec, cancellationToken);
            }
        });
    }

    /// <summary>Delete removes a generated secret (the store refuses secrets it did not create); Retain keeps it with the data.</summary>
    private async Task RemoveSecretAsync(TenantIntent intent, CancellationToken cancellationToken)
    {
        if (intent.DeleteData && intent.GeneratedSecret)
        {
            await lifecycle.Secrets.DeleteAsync(intent.SecretRef, cancellationToken);
        }
    }
}
