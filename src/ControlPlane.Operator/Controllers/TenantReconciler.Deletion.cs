using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Deletion behind the finalizer: catalog <c>deleting</c> → per <c>deletionPolicy</c> drop (Delete) or lock down
/// (Retain) → catalog soft delete → finalizer removed. Never stuck on a tenant that never finished provisioning, whose
/// database is already gone, or whose spec was never valid; and never stuck silently: what cleanup cannot do is named
/// in <c>DeletionBlocked</c> with how to proceed, and the skip-cleanup annotation is the audited way out.
/// </summary>
public sealed partial class TenantReconciler
{
    private async Task<ReconcileResult> DeleteAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (!_finalizers.IsPresent(tenant))
        {
            return ReconcileResult.Success();
        }

        // Once: a blocked deletion keeps its DeletionBlocked condition instead of flipping back and forth on every retry.
        var marked = tenant.Status.Phase == TenantPhases.Deleting
            ? tenant
            : await _status.UpdateAsync(tenant, t => TenantStatusRules.Deleting(t, time.GetUtcNow()), cancellationToken);
        if (marked is null)
        {
            return ReconcileResult.Success();
        }

        // A placement still pending (no catalog row yet) is not held for a Tenant on its way out.
        lifecycle.Placements.Release(OwnerOf(marked));

        // A Tenant that never got a catalog row created nothing outside Kubernetes.
        var row = await OwnRowAsync(marked, cancellationToken);
        if (row is not null && TenantSpecRules.Unplaced(marked))
        {
            // Placed by the operator and its status lost: the catalog says where it lives.
            marked = WithServer(marked, RecordedServer(row));
        }

        if (row is not null && row.Status != CatalogTenantStatus.Deleted && await CleanUpAsync(marked, row, cancellationToken) is { } blocked)
        {
            return blocked;
        }

        await _finalizers.RemoveAsync(marked, cancellationToken);
        lifecycle.Failures.Succeeded(FailureKey(marked));
        await events.RecordAsync(marked, EventRecorder.Normal, TenantEventReason.Deleted.ToWire(),
            row is null ? "Nothing was provisioned; finalizer removed." : $"Tenant {row.Slug} deleted ({marked.Spec.DeletionPolicy ?? DeletionPolicies.Retain}).",
            cancellationToken);
        return ReconcileResult.Success();
    }

    /// <summary>Cleans up what the tenant provably owns; null when done, else the result of a named failure.</summary>
    private async Task<ReconcileResult?> CleanUpAsync(Tenant marked, CatalogTenant row, CancellationToken cancellationToken)
    {
        // A server removed from the configuration is validated as the catalog recorded it, so the spec still yields
        // the tenant's names and secret (the secret then follows the deletion policy).
        var serverName = TenantSpecRules.EffectiveServer(marked);
        var configured = lifecycle.Servers.Contains(serverName);
        var context = Validation;
        var validation = TenantValidation.Of(marked, configured ? context : context with
        {
            Servers = new Dictionary<string, TenantServerFacts>(context.Servers)
            {
                [serverName] = new TenantServerFacts(serverName, row.DbHost, row.DbPort, new HashSet<string>()),
            },
        });
        if (validation is TenantValidation.Invalid invalid)
        {
            return await FailAsync(marked, row, new TenantFailure(TenantReadyReason.InvalidSpec,
                "Cannot clean up: " + string.Join(" ", invalid.Problems), FailureRetry.Recheck), null, cancellationToken);
        }

        var intent = ((TenantValidation.Valid)validation).Intent;
        var place = $"database {intent.Database} and its roles on {row.DbHost}:{row.DbPort}";
        if (!configured)
        {
            return await SkipOrBlockAsync(marked, row, intent, new Blockage(
                $"Database server '{serverName}' is no longer in the operator's configuration (TenantDatabaseServers): {place} cannot be cleaned up.",
                "Add the server back to the configuration and deletion finishes by itself; or, if it is gone for good,",
                [$"{place} (not checked)"], SecretGoes: intent.DeleteData && intent.GeneratedSecret, FailureRetry.Recheck, null), cancellationToken);
        }

        var actor = Actor(marked);
        var server = lifecycle.Servers.Get(serverName);
        using var slot = TryEnter(marked, server);
        if (slot is null)
        {
            return await WaitForServerAsync(marked, server, cancellationToken);
        }

        // Deletion touches only what carries this tenant's mark, whatever the row says; unmarked objects of the
        // previous release only while the row still proves this tenant finished provisioning them.
        var claim = row.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended
            && intent.Describes(row, new TenantDatabaseServerAddress(server.Name, server.Host, server.Port));
        var spec = intent.DatabaseTarget(new TenantOwnership(row.Id, ClaimUnmarked: claim));
        try
        {
            row = await lifecycle.Catalog.MarkDeletingAsync(row.Id, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.MarkedDeleting, cancellationToken);

            TenantDrop drop;
            try
            {
                drop = await RemoveDatabaseAsync(server, intent, spec, cancellationToken);
            }
            catch (TenantServerException e)
            {
                // The start of this incident, not now: the message stays the same on every retry.
                var since = lifecycle.Failures.Since(FailureKey(marked)) ?? time.GetUtcNow();
                return await SkipOrBlockAsync(marked, row, intent, new Blockage(
                    $"Cleanup on database server '{server.Name}' has failed since {since:yyyy-MM-dd HH:mm:ss}Z: {e.Failure.Message}",
                    "Deletion resumes by itself when the server works again; if it is gone for good,",
                    [$"{place} (not checked)"], SecretGoes: intent.DeleteData && intent.GeneratedSecret,
                    e.Failure.Retry == FailureRetry.Immediately ? FailureRetry.Immediately : FailureRetry.Backoff, e), cancellationToken);
            }

            await lifecycle.Faults.AfterAsync(ProvisioningSteps.DatabaseRemoved, cancellationToken);
            if (drop.NotOwned.Count > 0)
            {
                var objects = string.Join(", ", drop.NotOwned);
                Log.LeftNotOwned(logger, intent.Slug, objects);
                await events.RecordAsync(marked, EventRecorder.Warning, TenantReadyReason.DatabaseConflict.ToWire(),
                    $"Left on the server because they do not carry this tenant's ownership mark: {objects}.", cancellationToken);
            }

            if (drop.Blocked.Count > 0)
            {
                var roles = drop.Blocked.Select(d => d.Role).Distinct().ToList();
                return await SkipOrBlockAsync(marked, row, intent, new Blockage(
                    $"The tenant's database is dropped, but {string.Join("; ", drop.Blocked.Select(d => d.Describe()))}; the operator touches no database it has not proven the tenant's, so {(roles.Count == 1 ? "that role is" : "those roles are")} left locked (NOLOGIN).",
                    $"In each database named, run REASSIGN OWNED BY … TO <new owner> and DROP OWNED BY … for {string.Join(", ", roles)} (revoking what they hold), and deletion finishes by itself; or",
                    [.. roles.Select(r => $"role {r} (NOLOGIN) with what it owns elsewhere")], SecretGoes: false, FailureRetry.Recheck, null), cancellationToken);
            }

            // The generated secret goes with the role: a role this tenant cannot prove its own keeps its secret too.
            await RemoveSecretAsync(intent, roleRemoved: !drop.RoleLeft, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.SecretRemoved, cancellationToken);

            await lifecycle.Catalog.MarkDeletedAsync(row.Id, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.MarkedDeleted, cancellationToken);
            return null;
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return await FailAsync(marked, row, TenantFailures.Classify(e), e, cancellationToken);
        }
    }

    /// <summary>
    /// What cleanup could not do. <paramref name="Cause"/> and <paramref name="HowTo"/> make the DeletionBlocked message;
    /// <paramref name="Left"/> is what the escape hatch leaves behind; <paramref name="SecretGoes"/> whether the generated
    /// secret is deleted then (deletion policy Delete, no role left on a reachable server).
    /// </summary>
    private sealed record Blockage(string Cause, string HowTo, IReadOnlyList<string> Left, bool SecretGoes, FailureRetry Retry, Exception? Error);

    /// <summary>
    /// Without the skip-cleanup annotation: Ready=False <c>DeletionBlocked</c>, saying what blocks and how to proceed (a
    /// failing server only once it repeated past the threshold). With it, once the blockage is shown: the catalog records
    /// <c>cleanup_skipped</c> with the annotation's actor and what is left, the secret follows the deletion policy, the
    /// row is soft-deleted, and the caller releases the finalizer. Work that can succeed is never skipped: the annotation
    /// is read only here, after cleanup failed.
    /// </summary>
    private async Task<ReconcileResult?> SkipOrBlockAsync(Tenant marked, CatalogTenant row, TenantIntent intent, Blockage blockage, CancellationToken cancellationToken)
    {
        var failure = new TenantFailure(TenantReadyReason.DeletionBlocked,
            $"{blockage.Cause} {blockage.HowTo} annotate the Tenant {Tenant.SkipCleanupAnnotation}=<reason> to release it, leaving behind: {string.Join(", ", blockage.Left)} (docs/lifecycle.md).",
            blockage.Retry);
        var key = FailureKey(marked);
        var reason = SkipCleanupReason(marked);
        var shown = failure.NeedsHuman || lifecycle.Failures.Count(key) + 1 >= lifecycle.Failures.Threshold;
        if (reason is null || !shown)
        {
            return await FailAsync(marked, row, failure, blockage.Error, cancellationToken);
        }

        var actor = Actor(marked);
        row = await lifecycle.Catalog.MarkDeletingAsync(row.Id, actor, cancellationToken);
        await lifecycle.Catalog.RecordCleanupSkippedAsync(row.Id, reason, blockage.Cause, blockage.Left,
            Actors.ForAnnotation(lifecycle.OperatorIdentity, marked.Metadata, Tenant.SkipCleanupAnnotation), cancellationToken);
        if (blockage.SecretGoes)
        {
            await lifecycle.Secrets.DeleteAsync(intent.SecretRef, cancellationToken);
        }

        await lifecycle.Catalog.MarkDeletedAsync(row.Id, actor, cancellationToken);
        var left = string.Join(", ", blockage.Left);
        Log.CleanupSkipped(logger, intent.Slug, reason, blockage.Cause, left);
        await events.RecordAsync(marked, EventRecorder.Warning, TenantEventReason.CleanupSkipped.ToWire(),
            $"Released by {Tenant.SkipCleanupAnnotation} ({reason}) without full cleanup; left behind: {left}.", cancellationToken);
        return null;
    }

    /// <summary>The escape hatch's reason when the annotation is set with a non-blank value; null otherwise.</summary>
    private static string? SkipCleanupReason(Tenant tenant) =>
        tenant.Metadata.Annotations?.TryGetValue(Tenant.SkipCleanupAnnotation, out var value) == true && !string.IsNullOrWhiteSpace(value)
            ? value.Trim()
            : null;

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

    /// <summary>Drops (Delete) or locks down (Retain) what the tenant provably owns; returns what was left.</summary>
    private static async Task<TenantDrop> RemoveDatabaseAsync(
        TenantDatabaseServer server, TenantIntent intent, TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        var drop = new TenantDrop([], []);
        await OnServerAsync(server, async () =>
        {
            if (intent.DeleteData)
            {
                drop = await server.Administrator.DropAsync(spec, cancellationToken);
            }
            else if ((await server.Administrator.ProveAsync(spec, cancellationToken)).Problem is null)
            {
                await server.Administrator.RetainAsync(spec, cancellationToken);
            }
            else
            {
                drop = new TenantDrop(["the database and role (not locked down)"], []);
            }
        });
        return drop;
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
