using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Password rotation of a provisioned tenant (issue 16). Four steps, each idempotent for one request, so a crash after
/// any of them converges to exactly one rotation: (1) the secret store keeps a new version marked with the request (a
/// retry gets that version back, not another), (2) the role gets the version's verifier, computed here and proven the
/// tenant's role first, (3) the catalog records <c>credentials_rotated</c> once per request and its change notification
/// drops every resolver's cached connection, (4) status reports it. Open sessions keep running: PostgreSQL checks a
/// password only at login.
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>
    /// Rotates when a request is due, writes the rotation part of status, and says when to look again (the next scheduled
    /// rotation). Costs nothing for a tenant without the annotation or a schedule.
    /// </summary>
    private async Task<(Tenant Tenant, DateTimeOffset? NextDue)> RotateCredentialsAsync(
        Tenant tenant, TenantDatabaseServer server, CatalogTenant row, TenantIntent intent, TenantDatabaseTarget spec, DecidedRow decided, string actor,
        CancellationToken cancellationToken)
    {
        if (intent.RotationRequest is null && intent.RotateEvery is null)
        {
            return (tenant, null);
        }

        var catalog = lifecycle.Catalog;
        var latest = await catalog.LatestCredentialRotationAsync(row.Id, cancellationToken);
        var requestDone = intent.RotationRequest is { } request
                          && (latest?.Rotation == request || await catalog.FindCredentialRotationAsync(row.Id, request, cancellationToken) is not null);
        var plan = CredentialRotationRules.Plan(intent.RotationRequest, requestDone, intent.RotateEvery, latest, row.CreatedAt, time.GetUtcNow());
        if (plan.Due is { } due)
        {
            await decided.BeforeActAsync(cancellationToken);
            var password = await lifecycle.Secrets.EnsureRotatedPasswordAsync(intent.SecretRef, due.Rotation, new SecretOwner(intent.Slug), cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.RotationSecretWritten, cancellationToken);

            var verifier = ScramVerifier.Compute(password.Reveal());
            await OnServerAsync(server, () => server.Administrator.SetPasswordAsync(spec, verifier, cancellationToken));
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.RotationVerifierChanged, cancellationToken);

            latest = await catalog.RecordCredentialsRotatedAsync(row.Id, due, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.RotationRecorded, cancellationToken);

            Log.CredentialsRotated(logger, intent.Slug, latest.Rotation, latest.Scheduled);
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantEventReason.CredentialsRotated.ToWire(),
                $"Password rotated for {latest.Rotation}; new logins need the new password, open sessions keep running.", cancellationToken);
        }

        var status = CredentialRotationRules.Status(latest, plan.NextDue);
        tenant = await UpdateStatusAsync(tenant, t => TenantStatusRules.WithCredentials(t, status), decided, cancellationToken) ?? tenant;
        await lifecycle.Faults.AfterAsync(ProvisioningSteps.RotationReported, cancellationToken);
        return (tenant, plan.NextDue);
    }

    /// <summary>Success, or a look again when the schedule falls due (at most <see cref="RotationRecheck"/> ahead).</summary>
    /// <summary>Requeue after <paramref name="resync"/>, or sooner when a scheduled rotation falls due.</summary>
    private ReconcileResult AfterRotation(DateTimeOffset? nextDue, TimeSpan resync)
    {
        if (nextDue is not { } next)
        {
            return ReconcileResult.RequeueAfter(resync);
        }

        var wait = next - time.GetUtcNow();
        wait = wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait > RotationRecheck ? RotationRecheck : wait;
        return ReconcileResult.RequeueAfter(wait < resync ? wait : resync);
    }

    /// <summary>Longest wait for a scheduled rotation: timers of weeks are fragile, a look every few hours costs one query.</summary>
    internal static readonly TimeSpan RotationRecheck = TimeSpan.FromHours(6);
}
