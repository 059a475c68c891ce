using System.Text.Json.Serialization;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>What the operator observed; written only through <c>/status</c>.</summary>
public sealed class TenantStatus
{
    /// <summary>One of <see cref="TenantPhases"/>.</summary>
    [JsonPropertyName("phase")]
    public string? Phase { get; set; }

    /// <summary>The effective slug (spec.slug, or metadata.name when unset), so kubectl shows it either way.</summary>
    [JsonPropertyName("slug")]
    public string? Slug { get; set; }

    [JsonPropertyName("tenantId")]
    public string? TenantId { get; set; }

    [JsonPropertyName("schemaVersion")]
    public string? SchemaVersion { get; set; }

    [JsonPropertyName("database")]
    public TenantDatabaseStatus? Database { get; set; }

    [JsonPropertyName("secretRef")]
    public string? SecretRef { get; set; }

    /// <summary>The last password rotation and the next scheduled one; rebuilt from the catalog when lost.</summary>
    [JsonPropertyName("credentials")]
    public TenantCredentialsStatus? Credentials { get; set; }

    [JsonPropertyName("observedGeneration")]
    public long? ObservedGeneration { get; set; }

    [JsonPropertyName("conditions")]
    public IList<V1Condition>? Conditions { get; set; }
}

/// <summary>Where the tenant's database actually is, once provisioned.</summary>
public sealed class TenantDatabaseStatus
{
    [JsonPropertyName("server")]
    public string? Server { get; set; }

    [JsonPropertyName("host")]
    public string? Host { get; set; }

    [JsonPropertyName("port")]
    public int? Port { get; set; }

    [JsonPropertyName("name")]
    public string? Name { get; set; }

    [JsonPropertyName("user")]
    public string? User { get; set; }
}

/// <summary>Password rotation as the catalog's newest <c>credentials_rotated</c> event and the schedule say.</summary>
public sealed class TenantCredentialsStatus
{
    /// <summary>When the password was last rotated (the operator's clock); absent before the first rotation.</summary>
    [JsonPropertyName("rotatedAt")]
    public DateTime? RotatedAt { get; set; }

    /// <summary>The request the last rotation served: <c>request:&lt;annotation token&gt;</c> or <c>schedule:&lt;due time&gt;</c>.</summary>
    [JsonPropertyName("rotation")]
    public string? Rotation { get; set; }

    /// <summary>When <c>spec.credentials.rotateEvery</c> rotates next; absent without a schedule.</summary>
    [JsonPropertyName("nextRotationAt")]
    public DateTime? NextRotationAt { get; set; }
}

/// <summary>Values of <see cref="TenantStatus.Phase"/> (the catalog's status values, capitalised).</summary>
public static class TenantPhases
{
    public const string Provisioning = "Provisioning";
    public const string Active = "Active";
    public const string Suspended = "Suspended";
    public const string Deleting = "Deleting";

    public static IReadOnlyList<string> All { get; } = [Provisioning, Active, Suspended, Deleting];
}
