using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Controllers.Rollouts;

/// <summary>Status of a rollout that cannot proceed for a reason outside the plan. Pure.</summary>
public static class RolloutStatusRules
{
    /// <summary>Progress is kept; the phase stays (Pending before the first wave) and Progressing=False names the reason.</summary>
    public static SchemaRolloutStatus Refused(SchemaRollout rollout, SchemaRolloutReason reason, string message, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        var current = rollout.Status;
        var generation = rollout.Metadata.Generation;
        return new SchemaRolloutStatus
        {
            Phase = current.Phase ?? SchemaRolloutPhase.Pending.ToWire(),
            Total = current.Total,
            Migrated = current.Migrated,
            Failed = current.Failed,
            Pending = current.Pending,
            Skipped = current.Skipped,
            CurrentWave = current.CurrentWave,
            FailedTenants = current.FailedTenants,
            CanaryApproved = current.CanaryApproved,
            PausedAtGeneration = current.PausedAtGeneration,
            ObservedGeneration = generation,
            Conditions = Conditions.Set(current.Conditions, SchemaRolloutConditions.Progressing, Conditions.False, reason.ToWire(), message, generation, now),
        };
    }
}
