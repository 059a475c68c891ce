using System.Text.Json.Serialization;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// The rollout's progress, written only through <c>/status</c>. The current wave and the failed tenants are the
/// memory a restarted or newly elected operator continues from; everything else is recomputed from the Tenants.
/// </summary>
public sealed class SchemaRolloutStatus
{
    /// <summary>One of <see cref="SchemaRolloutPhases"/>.</summary>
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

/// <summary>Values of <see cref="SchemaRolloutStatus.Phase"/>.</summary>
public static class SchemaRolloutPhases
{
    public const string Pending = "Pending";
    public const string Canary = "Canary";
    public const string AwaitingApproval = "AwaitingApproval";
    public const string Rolling = "Rolling";
    public const string Paused = "Paused";
    public const string Halted = "Halted";
    public const string Succeeded = "Succeeded";

    public static IReadOnlyList<string> All { get; } = [Pending, Canary, AwaitingApproval, Rolling, Paused, Halted, Succeeded];
}

/// <summary>Condition types and reasons of a rollout, declared once.</summary>
public static class SchemaRolloutConditions
{
    /// <summary>True while tenants are being started or migrated; False says why not (paused, halted, done, refused).</summary>
    public const string Progressing = "Progressing";

    /// <summary>True once any selected tenant failed to migrate.</summary>
    public const string Degraded = "Degraded";

    public static class Reasons
    {
        public const string Canary = "Canary";
        public const string Rolling = "Rolling";
        public const string Paused = "Paused";
        public const string AwaitingApproval = "AwaitingApproval";
        public const string FailureBudgetExceeded = "FailureBudgetExceeded";
        public const string Succeeded = "Succeeded";
        public const string OverlappingRollout = "OverlappingRollout";
        public const string InvalidSpec = "InvalidSpec";
        public const string TenantsFailed = "TenantsFailed";
        public const string NoFailures = "NoFailures";
    }
}
