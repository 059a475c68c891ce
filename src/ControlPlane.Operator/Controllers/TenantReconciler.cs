using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Reconciles one Tenant, level-based: fetch (done by the runtime) → deletion → place (a Tenant without a server, once) →
/// validate → confine (namespace and secretRef, the one step with I/O before any side effect) → finalizer → a slot of
/// the server (or wait in its line) → provision (catalog, secret, role and database, schema, catalog status) → status.
/// Every step observes before it acts, so a crash at any point converges on the next pass; cleanup happens only behind
/// the finalizer.
/// </summary>
public sealed partial class TenantReconciler(
    IResourceClient<Tenant> tenants,
    EventRecorder events,
    TenantLifecycle lifecycle,
    TimeProvider time,
    ILogger<TenantReconciler> logger,
    TenantResync? resyncEvery = null,
    Action<ResourceKey>? wake = null) : IReconciler<Tenant>
{
    /// <summary>How often a tenant blocked by something outside its spec (a slug taken by another tenant) looks again.</summary>
    internal static readonly TimeSpan BlockedRecheck = TimeSpan.FromMinutes(1);

    private readonly Finalizers<Tenant> _finalizers = new(tenants, Tenant.Finalizer);
    private readonly StatusWriter<Tenant, TenantStatus> _status = new(tenants);

    /// <summary>The servers change at runtime (TenantDatabaseServer resources): the context is taken per reconcile.</summary>
    private TenantValidationContext Validation => TenantValidationContext.For(lifecycle);

    /// <summary>When a healthy tenant is looked at again for drift (TenantReconciler.Drift.cs).</summary>
    private readonly TenantResync _resync = resyncEvery ?? TenantResync.Default;

    public async Task<ReconcileResult> ReconcileAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        ReconcileResult result;
        try
        {
            result = await ReconcileOnceAsync(tenant, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Outside the steps that name their own failures (status writes, finalizer, confinement, lookups): still
            // named, so nothing the runtime would only retry loops without a condition.
            result = await FailAsync(tenant, null, TenantFailures.Classify(e), e, cancellationToken);
        }

        // A pass that ended anywhere but in a server's line (done, refused, failed) holds no place in any line.
        if (!ReferenceEquals(result, InLine))
        {
            LeaveLines(tenant, except: null);
        }

        return result;
    }

    private async Task<ReconcileResult> ReconcileOnceAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (Finalizers<Tenant>.IsDeleting(tenant))
        {
            return await DeleteAsync(tenant, cancellationToken);
        }

        (tenant, var pending) = await PlaceAsync(tenant, cancellationToken);
        if (pending is not null)
        {
            return pending;
        }

        var validation = TenantValidation.Of(tenant, Validation);
        if (validation is TenantValidation.Invalid invalid)
        {
            return await RefuseAsync(tenant, invalid.Problems, cancellationToken);
        }

        var (intent, target) = (TenantValidation.Valid)validation;
        if (await ConfineAsync(tenant, intent, cancellationToken) is { } refused)
        {
            return refused;
        }

        // Before any external side effect, so a delete cannot skip cleanup.
        var held = await _finalizers.EnsureAsync(tenant, cancellationToken);
        if (held is null)
        {
            return ReconcileResult.Success();
        }

        // Validated: the server is configured. Its slot is held for all the server work of this pass (TenantReconciler.Slots.cs).
        var server = lifecycle.Servers.Get(intent.Server);
        using var slot = TryEnter(held, server);
        if (slot is null)
        {
            return await WaitForServerAsync(held, server, cancellationToken);
        }

        try
        {
            return await ProvisionAsync(held, intent, target, fromSnapshot: lifecycle.Snapshot is not null, cancellationToken);
        }
        catch (SnapshotRowChangedException changed)
        {
            // Nothing acted yet (TenantReconciler.Snapshot.cs): the pass starts over, once, on the row read from the catalog.
            Log.SnapshotRowChanged(logger, intent.Slug, changed.TenantId);
            return await ProvisionAsync(held, intent, target, fromSnapshot: false, cancellationToken);
        }
    }

    private async Task<ReconcileResult> RefuseAsync(Tenant tenant, IReadOnlyList<string> problems, CancellationToken cancellationToken)
    {
        var written = await _status.UpdateAsync(tenant, t => TenantStatusRules.Invalid(t, problems, time.GetUtcNow()), cancellationToken);
        var message = string.Join(" ", problems);
        if (written is not null)
        {
            await events.RecordAsync(written, EventRecorder.Warning, TenantReadyReason.InvalidSpec.ToWire(), message, cancellationToken);
        }

        return ReconcileResult.TerminalError(TenantReadyReason.InvalidSpec.ToWire(), message);
    }

    private string Actor(Tenant tenant) => Provisioning.Actors.For(lifecycle.OperatorIdentity, tenant.Metadata);
}
