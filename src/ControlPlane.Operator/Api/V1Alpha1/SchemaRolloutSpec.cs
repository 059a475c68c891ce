using System.Text.Json.Serialization;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>How a schema version reaches the tenants of the rollout's namespace.</summary>
public sealed class SchemaRolloutSpec
{
    /// <summary>The schema version every selected tenant should reach; must be one the operator ships.</summary>
    [JsonPropertyName("targetVersion")]
    public string TargetVersion { get; set; } = "";

    /// <summary>Label selector over the Tenants of the rollout's namespace; null or empty selects all of them.</summary>
    [JsonPropertyName("selector")]
    public V1LabelSelector? Selector { get; set; }

    /// <summary>The first wave; none means the rollout starts with the first batch.</summary>
    [JsonPropertyName("canary")]
    public SchemaRolloutCanary? Canary { get; set; }

    /// <summary>Tenants per batch after the canary; exclusive with <see cref="BatchPercent"/>; neither means 10%.</summary>
    [JsonPropertyName("batchSize")]
    public int? BatchSize { get; set; }

    /// <summary>Tenants per batch as a percentage of the selected tenants (rounded up, at least one).</summary>
    [JsonPropertyName("batchPercent")]
    public int? BatchPercent { get; set; }

    /// <summary>Tenant migrations in flight at once (default 1).</summary>
    [JsonPropertyName("maxParallel")]
    public int? MaxParallel { get; set; }

    /// <summary>Failed tenants tolerated; one more halts the rollout (default 0: the first failure halts).</summary>
    [JsonPropertyName("maxFailures")]
    public int? MaxFailures { get; set; }

    /// <summary>After the canary the operator sets <see cref="Paused"/>; setting it back to false approves the rest.</summary>
    [JsonPropertyName("pauseAfterCanary")]
    public bool? PauseAfterCanary { get; set; }

    /// <summary>No new tenant is started while true; tenants already migrating finish.</summary>
    [JsonPropertyName("paused")]
    public bool? Paused { get; set; }
}

/// <summary>The canary wave: named tenants first, then more in name order until <see cref="Count"/>.</summary>
public sealed class SchemaRolloutCanary
{
    [JsonPropertyName("names")]
    public IList<string>? Names { get; set; }

    [JsonPropertyName("count")]
    public int? Count { get; set; }
}
