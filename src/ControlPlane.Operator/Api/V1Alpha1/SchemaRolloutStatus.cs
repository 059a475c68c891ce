using System.Text.Json.Serialization;
using ControlPlane.Core.Wire;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// The rollout's progress, written only through <c>/status</c>. The current wave and the failed tenants are the
/// memory a restarted or newly elected operator continues from; everything else is recomputed from the Tenants.
/// </summary>
public sealed class SchemaRolloutStatus
{
    /// <summary>The wire value of a <see cref="SchemaRolloutPhase"/>.</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    [JsonPropertyName("total")]
    public int? Total { get; set; }

    [JsonPropertyName("migrated")]
    public int? Migrated { get; set; }

    [JsonPropertyName("failed")]
    public int? Failed { get; set; }

    [JsonPropertyName("pending")]
    public int? Pending { get; set; }

    /// <summary>Selected tenants being deleted, left alone.</summary>
    [JsonPropertyName("skipped")]
    public int? Skipped { get; set; }

    [JsonPropertyName("currentWave")]
    public SchemaRolloutWave? CurrentWave { get; set; }

    [JsonPropertyName("failedTenants")]
    public IList<SchemaRolloutFailure>? FailedTenants { get; set; }

    /// <summary>Set once the canary was approved (paused went back to false after the operator paused the rollout).</summary>
    [JsonPropertyName("canaryApproved")]
    public bool? CanaryApproved { get; set; }

    /// <summary>The generation at which the operator paused the rollout after the canary; a later one with paused false approves.</summary>
    [JsonPropertyName("pausedAtGeneration")]
    public long? PausedAtGeneration { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>A wave: 0 is the canary, then batches 1, 2, …; <see cref="Started"/> are the members already handed to the Tenant reconciler.</summary>
public sealed class SchemaRolloutWave
{
    [JsonPropertyName("number")]
    public int Number { get; set; }

    [JsonPropertyName("tenants")]
    public IList<string> Tenants { get; set; } = [];

    [JsonPropertyName("started")]
    public IList<string> Started { get; set; } = [];
}

/// <summary>A tenant whose migration failed, with the Tenant reconciler's reason and message.</summary>
public sealed class SchemaRolloutFailure
{
    [JsonPropertyName("name")]
    public string Name { get; set; } = "";

    [JsonPropertyName("reason")]
    public string Reason { get; set; } = "";

    [JsonPropertyName("message")]
    public string Message { get; set; } = "";
}

/// <summary>
/// Where a rollout stands: <see cref="SchemaRolloutStatus.Phase"/> and the reason of the Event recorded when it changes
/// (docs/schema-rollouts.md; Argo CD's health check reads the wire values).
/// </summary>
public enum SchemaRolloutPhase
{
    /// <summary>No wave yet: waiting for a named canary (CanaryNotFound), or refused (<c>Progressing=False</c> OverlappingRollout or InvalidSpec).</summary>
    Pending,

    /// <summary>Wave 0, the canary, is in progress.</summary>
    Canary,

    /// <summary>The canary is done and the rollout paused itself (pauseAfterCanary); <c>paused: false</c> continues.</summary>
    AwaitingApproval,

    /// <summary>Batch <c>status.currentWave.number</c> is in progress.</summary>
    Rolling,

    /// <summary><c>spec.paused</c> is true: no new tenant starts; tenants already migrating finish.</summary>
    Paused,

    /// <summary>More tenants failed than <c>maxFailures</c> allows; no new tenant starts (a raised budget resumes).</summary>
    Halted,

    /// <summary>Every selected tenant not being deleted is at the target, or failed within the budget.</summary>
    Succeeded,
}

/// <summary>
/// The wire value of each <see cref="SchemaRolloutPhase"/> (its name), and back.
/// As for every reason type (<see cref="TenantReadyReasons"/>): <c>ToWire()</c>, the exhaustive switch below, is the only
/// way to the wire and <c>TryParse</c> the only way back.
/// </summary>
public static class SchemaRolloutPhases
{
    public static string ToWire(this SchemaRolloutPhase phase) => phase switch
    {
        SchemaRolloutPhase.Pending => "Pending",
        SchemaRolloutPhase.Canary => "Canary",
        SchemaRolloutPhase.AwaitingApproval => "AwaitingApproval",
        SchemaRolloutPhase.Rolling => "Rolling",
        SchemaRolloutPhase.Paused => "Paused",
        SchemaRolloutPhase.Halted => "Halted",
        SchemaRolloutPhase.Succeeded => "Succeeded",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out SchemaRolloutPhase phase) => WireValues.TryParse(wire, ToWire, out phase);
}

/// <summary>Condition types of a rollout, declared once; their reasons are <see cref="SchemaRolloutReason"/>s.</summary>
public static class SchemaRolloutConditions
{
    /// <summary>True while tenants are being started or migrated; False says why not (paused, halted, done, refused).</summary>
    public const string Progressing = "Progressing";

    /// <summary>True once any selected tenant failed to migrate.</summary>
    public const string Degraded = "Degraded";
}

/// <summary>
/// The reasons of a rollout's <see cref="SchemaRolloutConditions.Progressing"/> and <see cref="SchemaRolloutConditions.Degraded"/>
/// conditions, and of the Event recorded when it is refused (Argo CD's health check reads the wire values).
/// </summary>
public enum SchemaRolloutReason
{
    /// <summary>Progressing=True: the canary wave is migrating.</summary>
    Canary,

    /// <summary>Progressing=True: a batch is migrating, or the first wave is being formed.</summary>
    Rolling,

    /// <summary>Progressing=False: <c>spec.paused</c> is true.</summary>
    Paused,

    /// <summary>Progressing=False: the canary is done; <c>paused: false</c> approves the rest.</summary>
    AwaitingApproval,

    /// <summary>Progressing=False: more tenants failed than <c>maxFailures</c>; the rollout is halted.</summary>
    FailureBudgetExceeded,

    /// <summary>Progressing=False: the rollout is done.</summary>
    Succeeded,

    /// <summary>Progressing=False: another unfinished rollout selects some of the same tenants; this one is refused.</summary>
    OverlappingRollout,

    /// <summary>Progressing=False: the spec cannot be planned (an unknown target version); fix the spec.</summary>
    InvalidSpec,

    /// <summary>
    /// Progressing=False, phase Pending: a tenant named in <c>spec.canary.names</c> is not (yet) among the Tenants the
    /// selector matches; nothing starts until it is, so the canary and its approval are never skipped.
    /// </summary>
    CanaryNotFound,

    /// <summary>Degraded=True: at least one selected tenant failed to migrate; the message names them with their reasons.</summary>
    TenantsFailed,

    /// <summary>Degraded=False: no selected tenant failed.</summary>
    NoFailures,
}

/// <summary>
/// The wire value of each <see cref="SchemaRolloutReason"/> (its name), and back.
/// As for every reason type (<see cref="TenantReadyReasons"/>): <c>ToWire()</c>, the exhaustive switch below, is the only
/// way to the wire and <c>TryParse</c> the only way back.
/// </summary>
public static class SchemaRolloutReasons
{
    public static string ToWire(this SchemaRolloutReason reason) => reason switch
    {
        SchemaRolloutReason.Canary => "Canary",
        SchemaRolloutReason.Rolling => "Rolling",
        SchemaRolloutReason.Paused => "Paused",
        SchemaRolloutReason.AwaitingApproval => "AwaitingApproval",
        SchemaRolloutReason.FailureBudgetExceeded => "FailureBudgetExceeded",
        SchemaRolloutReason.Succeeded => "Succeeded",
        SchemaRolloutReason.OverlappingRollout => "OverlappingRollout",
        SchemaRolloutReason.InvalidSpec => "InvalidSpec",
        SchemaRolloutReason.CanaryNotFound => "CanaryNotFound",
        SchemaRolloutReason.TenantsFailed => "TenantsFailed",
        SchemaRolloutReason.NoFailures => "NoFailures",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out SchemaRolloutReason reason) => WireValues.TryParse(wire, ToWire, out reason);
}
