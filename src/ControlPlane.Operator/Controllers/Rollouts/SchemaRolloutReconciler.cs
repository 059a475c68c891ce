using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;
using k8s;

namespace ControlPlane.Operator.Controllers.Rollouts;

/// <summary>
/// Reconciles one SchemaRollout (ADR-CP-006): fetch fresh → validate → refuse overlaps → plan → pause spec if the
/// canary needs approval → record status → hand the target to the wave's next tenants (spec.schemaVersion) and take
/// it back from failed ones. The Tenant reconciler does every migration, so one tenant is never migrated twice at
/// once (the work queue serializes a key) and the catalog, the Tenant status and the events are written by one path.
/// </summary>
public sealed class SchemaRolloutReconciler(
    IResourceClient<SchemaRollout> rollouts,
    ResourceCache<SchemaRollout> rolloutCache,
    IResourceClient<Tenant> tenants,
    ResourceCache<Tenant> tenantCache,
    TenantSchemaMigrator migrator,
    EventRecorder events,
    TimeProvider time,
    ILogger<SchemaRolloutReconciler> logger) : IReconciler<SchemaRollout>
{
    /// <summary>A safety net: Tenant changes re-queue the rollout at once; this catches anything missed.</summary>
    internal static readonly TimeSpan Recheck = TimeSpan.FromSeconds(5);

    /// <summary>After a 409 on the rollout itself: something else wrote it; plan again on the fresh object soon.</summary>
    internal static readonly TimeSpan ConflictRecheck = TimeSpan.FromMilliseconds(50);

    private readonly StatusWriter<SchemaRollout, SchemaRolloutStatus> _status = new(rollouts);

    public async Task<ReconcileResult> ReconcileAsync(SchemaRollout cached, CancellationToken cancellationToken)
    {
        // The cache may lag our own last status write; planning on it could start a tenant twice or overrun maxParallel.
        var rollout = await rollouts.GetAsync(cached.Metadata.NamespaceProperty, cached.Metadata.Name, cancellationToken);
        if (rollout is null || rollout.Metadata.DeletionTimestamp is not null || IsFinished(rollout))
        {
            return ReconcileResult.Success();
        }

        SchemaVersion target;
        try
        {
            target = migrator.ResolveTarget(rollout.Spec.TargetVersion);
        }
        catch (SchemaMigrationException e)
        {
            await RefuseAsync(rollout, SchemaRolloutReason.InvalidSpec, $"spec.targetVersion: {e.Message}", cancellationToken);
            return ReconcileResult.TerminalError(SchemaRolloutReason.InvalidSpec.ToWire(), e.Message);
        }

        var selected = Select(rollout, tenantCache.Items);
        if (Overlap(rollout, selected) is { } overlap)
        {
            await RefuseAsync(rollout, SchemaRolloutReason.OverlappingRollout, overlap, cancellationToken);
            return ReconcileResult.RequeueAfter(Recheck);
        }

        var plan = RolloutPlanner.Plan(rollout, target, selected, time.GetUtcNow());
        var written = await ApplyAsync(rollout, plan, cancellationToken);
        if (written is null)
        {
            return ReconcileResult.RequeueAfter(ConflictRecheck);
        }

        foreach (var name in plan.Revert)
        {
            await SetTargetAsync(rollout.Metadata.NamespaceProperty, name, from: target, to: null, cancellationToken);
        }

        foreach (var name in plan.Start)
        {
            await SetTargetAsync(rollout.Metadata.NamespaceProperty, name, from: null, to: target, cancellationToken);
        }

        await AnnounceAsync(written, rollout.Status, cancellationToken);
        return plan.Settled ? ReconcileResult.Success() : ReconcileResult.RequeueAfter(Recheck);
    }

    /// <summary>
    /// A rollout that succeeded for its current spec is over: tenants created or relabelled later are not its business
    /// (a tenant created pinned to an older version must not be raised by last month's rollout).
    /// </summary>
    public static bool IsFinished(SchemaRollout rollout) =>
        IsSucceeded(rollout.Status) && rollout.Status.ObservedGeneration == rollout.Metadata.Generation;

    private static bool IsSucceeded(SchemaRolloutStatus status) =>
        SchemaRolloutPhases.TryParse(status.Phase, out var phase) && phase == SchemaRolloutPhase.Succeeded;

    /// <summary>The Tenants of the rollout's namespace its selector matches (those being deleted too: they are counted as skipped).</summary>
    public static List<Tenant> Select(SchemaRollout rollout, IEnumerable<Tenant> tenants) =>
        [.. tenants.Where(t => t.Metadata.NamespaceProperty == rollout.Metadata.NamespaceProperty && LabelSelectors.Matches(rollout.Spec.Selector, t.Metadata.Labels))];

    /// <summary>
    /// Another unfinished rollout that goes first and selects some of the same tenants. Goes first: one that has
    /// started before one that has not, then the older, then the name. Halted rollouts still hold their tenants.
    /// </summary>
    private string? Overlap(SchemaRollout rollout, List<Tenant> selected)
    {
        var mine = selected.Select(t => t.Metadata.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var other in rolloutCache.Items
                     .Where(o => o.Metadata.NamespaceProperty == rollout.Metadata.NamespaceProperty && o.Metadata.Name != rollout.Metadata.Name)
                     .Where(o => o.Metadata.DeletionTimestamp is null && !IsSucceeded(o.Status))
                     .Where(o => Precedence(o).CompareTo(Precedence(rollout)) < 0)
                     .OrderBy(Precedence))
        {
            var shared = Select(other, tenantCache.Items).Select(t => t.Metadata.Name).Where(mine.Contains).Order(StringComparer.Ordinal).ToList();
            if (shared.Count > 0)
            {
                var names = string.Join(", ", shared.Take(5)) + (shared.Count > 5 ? $" and {shared.Count - 5} more" : "");
                return $"Refused: tenants {names} are also selected by SchemaRollout {other.Metadata.Name} ({other.Status.Phase ?? SchemaRolloutPhase.Pending.ToWire()}), "
                       + "which goes first. This rollout waits until that one has succeeded or is deleted.";
            }
        }

        return null;
    }

    private static (int, DateTime, string) Precedence(SchemaRollout r) =>
        (r.Status.CurrentWave is null ? 1 : 0, r.Metadata.CreationTimestamp ?? DateTime.MaxValue, r.Metadata.Name);

    /// <summary>Pauses the spec when asked, then records the status; null when another writer got there first (409).</summary>
    private async Task<SchemaRollout?> ApplyAsync(SchemaRollout rollout, RolloutPlan plan, CancellationToken cancellationToken)
    {
        try
        {
            var status = plan.Status;
            if (plan.PauseSpec)
            {
                // Spec first: a crash before the status write finds paused=true and records this generation then.
                if (rollout.Spec.Paused != true)
                {
                    rollout.Spec.Paused = true;
                    rollout = await rollouts.ReplaceAsync(rollout, cancellationToken);
                }

                status.PausedAtGeneration = rollout.Metadata.Generation;
                status.ObservedGeneration = rollout.Metadata.Generation;
            }

            return await _status.UpdateOnceAsync(rollout, status, cancellationToken);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            return null;
        }
    }

    /// <summary>Sets (or clears) a Tenant's spec.schemaVersion, re-reading on 409; leaves deleting tenants and changed pins alone.</summary>
    private async Task SetTargetAsync(string @namespace, string name, SchemaVersion? from, SchemaVersion? to, CancellationToken cancellationToken)
    {
        var tenant = await tenants.GetAsync(@namespace, name, cancellationToken);
        if (tenant is null)
        {
            return;
        }

        await ConflictRetry.WriteAsync(tenants, tenant, t =>
        {
            if (t.Metadata.DeletionTimestamp is not null)
            {
                return false;
            }

            if (to is not null)
            {
                if (RolloutTenants.AsksFor(t, to) || RolloutTenants.IsAtOrPast(t.Status.SchemaVersion, to))
                {
                    return false;
                }

                t.Spec.SchemaVersion = to.ToString();
                return true;
            }

            // Only our own request is withdrawn; unset means "stay where the database is" for an existing tenant.
            if (from is null || !RolloutTenants.AsksFor(t, from))
            {
                return false;
            }

            t.Spec.SchemaVersion = null;
            return true;
        }, tenants.ReplaceAsync, cancellationToken);
        Log.RolloutTenantTargeted(logger, @namespace, name, to?.ToString() ?? "(unset)");
    }

    private async Task RefuseAsync(SchemaRollout rollout, SchemaRolloutReason reason, string message, CancellationToken cancellationToken)
    {
        var status = RolloutStatusRules.Refused(rollout, reason, message, time.GetUtcNow());
        var written = await _status.UpdateOnceAsync(rollout, status, cancellationToken);

        // Unchanged: announced already. Null (409): re-planned on the next pass.
        if (written is not null && !ReferenceEquals(written, rollout))
        {
            await events.RecordAsync(written, EventRecorder.Warning, reason.ToWire(), message, cancellationToken);
        }
    }

    /// <summary>An Event per phase change, so `kubectl describe` tells the story and a resync adds nothing.</summary>
    private async Task AnnounceAsync(SchemaRollout written, SchemaRolloutStatus before, CancellationToken cancellationToken)
    {
        var status = written.Status;
        if (status.Phase == before.Phase)
        {
            return;
        }

        var progressing = Conditions.Find(status.Conditions, SchemaRolloutConditions.Progressing);
        var phase = SchemaRolloutPhases.TryParse(status.Phase, out var known) ? known : SchemaRolloutPhase.Pending;
        var type = phase == SchemaRolloutPhase.Halted ? EventRecorder.Warning : EventRecorder.Normal;
        await events.RecordAsync(written, type, phase.ToWire(), progressing?.Message ?? status.Phase ?? "", cancellationToken);
        Log.RolloutPhase(logger, written.Metadata.NamespaceProperty, written.Metadata.Name, before.Phase ?? "(none)", status.Phase ?? "(none)");
    }
}
