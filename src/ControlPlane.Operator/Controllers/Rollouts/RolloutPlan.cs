using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Controllers.Rollouts;

/// <summary>
/// What one reconcile of a rollout should do, in this order: pause the spec (canary done, approval needed), write
/// <see cref="Status"/> (the memory of the wave and of failures, before any Tenant is touched), hand the target to
/// <see cref="Start"/> and take it back from <see cref="Revert"/>.
/// </summary>
public sealed record RolloutPlan(
    SchemaRolloutStatus Status,
    IReadOnlyList<string> Start,
    IReadOnlyList<string> Revert,
    bool PauseSpec)
{
    /// <summary>Nothing will change without a Tenant or spec change: succeeded, or halted with nothing in flight.</summary>
    public bool Settled { get; init; }
}
