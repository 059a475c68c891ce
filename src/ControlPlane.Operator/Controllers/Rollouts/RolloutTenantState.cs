using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers.Rollouts;

/// <summary>Where one selected tenant stands in a rollout, read from the Tenant alone (plus the rollout's failure record).</summary>
public enum RolloutTenantState
{
    /// <summary>Being deleted: never touched.</summary>
    Skipped,

    /// <summary>status.schemaVersion is at (or past) the target.</summary>
    Migrated,

    /// <summary>Recorded as failed by this rollout, or the Tenant reconciler reports a migration failure for the target.</summary>
    Failed,

    /// <summary>spec.schemaVersion is the target and the Tenant reconciler has not finished.</summary>
    InFlight,

    /// <summary>Not yet asked to move.</summary>
    Pending,
}

/// <summary>Reads a Tenant's progress towards a target version. Pure.</summary>
public static class RolloutTenants
{
    /// <summary>Tenant Ready reasons that mean "this tenant cannot reach the target" rather than "try again later".</summary>
    public static readonly IReadOnlySet<TenantReadyReason> FailureReasons = new HashSet<TenantReadyReason>
    {
        TenantReadyReason.SchemaMigrationFailed,
        TenantReadyReason.SchemaDowngradeRefused,
        TenantReadyReason.InvalidSpec,
    };

    public static RolloutTenantState Classify(Tenant tenant, SchemaVersion target, bool recordedFailed)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (tenant.Metadata.DeletionTimestamp is not null)
        {
            return RolloutTenantState.Skipped;
        }

        if (IsAtOrPast(tenant.Status.SchemaVersion, target))
        {
            return RolloutTenantState.Migrated;
        }

        if (recordedFailed || Failure(tenant, target) is not null)
        {
            return RolloutTenantState.Failed;
        }

        return AsksFor(tenant, target) ? RolloutTenantState.InFlight : RolloutTenantState.Pending;
    }

    /// <summary>
    /// The Tenant reconciler's verdict on the target, when it has processed the generation that asked for it and
    /// refused or failed: (reason, message). A server outage is not a verdict (it is retried and waited for).
    /// </summary>
    public static (TenantReadyReason Reason, string Message)? Failure(Tenant tenant, SchemaVersion target)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (!AsksFor(tenant, target) || tenant.Status.ObservedGeneration != tenant.Metadata.Generation)
        {
            return null;
        }

        var ready = Conditions.Find(tenant.Status.Conditions, TenantConditions.Ready);
        return ready is { Status: Conditions.False } && TenantReadyReasons.TryParse(ready.Reason, out var reason) && FailureReasons.Contains(reason)
            ? (reason, ready.Message ?? "")
            : null;
    }

    public static bool AsksFor(Tenant tenant, SchemaVersion target) =>
        SchemaVersion.TryParse(tenant?.Spec.SchemaVersion, out var asked) && asked == target;

    public static bool IsAtOrPast(string? version, SchemaVersion target) =>
        SchemaVersion.TryParse(version, out var current) && current >= target;
}
