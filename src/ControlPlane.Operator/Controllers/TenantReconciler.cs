using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Runtime;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Reconciles one Tenant: fetch (done by the runtime) → deletion → validate → finalizer → observe/act → status.
/// Provisioning is not implemented yet: a valid Tenant stays Provisioning with Ready=False
/// <see cref="TenantConditions.Reasons.AwaitingProvisioner"/>, and deletion has nothing external to clean up.
/// </summary>
public sealed class TenantReconciler(
    IResourceClient<Tenant> tenants,
    EventRecorder events,
    IReadOnlyCollection<string> configuredServers,
    TimeProvider time) : IReconciler<Tenant>
{
    private readonly Finalizers<Tenant> _finalizers = new(tenants, Tenant.Finalizer);
    private readonly StatusWriter<Tenant, TenantStatus> _status = new(tenants);

    public async Task<ReconcileResult> ReconcileAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (Finalizers<Tenant>.IsDeleting(tenant))
        {
            return await DeleteAsync(tenant, cancellationToken);
        }

        var problems = TenantSpecRules.Validate(tenant, configuredServers);
        if (problems.Count > 0)
        {
            return await RefuseAsync(tenant, problems, cancellationToken);
        }

        // Before any external side effect, so a delete cannot skip cleanup.
        var held = await _finalizers.EnsureAsync(tenant, cancellationToken);
        if (held is null)
        {
            return ReconcileResult.Success();
        }

        var previousReason = Conditions.Find(held.Status.Conditions, TenantConditions.Ready)?.Reason;
        var written = await _status.UpdateAsync(held, t => TenantStatusRules.Accepted(t, time.GetUtcNow()), cancellationToken);
        if (written is not null && previousReason != TenantConditions.Reasons.AwaitingProvisioner)
        {
            await events.RecordAsync(written, EventRecorder.Normal, TenantConditions.Reasons.AwaitingProvisioner,
                "Spec accepted; database provisioning is not implemented in this operator version.", cancellationToken);
        }

        return ReconcileResult.Success();
    }

    private async Task<ReconcileResult> RefuseAsync(Tenant tenant, List<string> problems, CancellationToken cancellationToken)
    {
        var written = await _status.UpdateAsync(tenant, t => TenantStatusRules.Invalid(t, problems, time.GetUtcNow()), cancellationToken);
        var message = string.Join(" ", problems);
        if (written is not null)
        {
            await events.RecordAsync(written, EventRecorder.Warning, TenantConditions.Reasons.InvalidSpec, message, cancellationToken);
        }

        return ReconcileResult.TerminalError(TenantConditions.Reasons.InvalidSpec, message);
    }

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

        // Nothing to clean up yet: no database, role or catalog row is ever created by this version (see the class summary).
        await _finalizers.RemoveAsync(marked, cancellationToken);
        return ReconcileResult.Success();
    }
}
