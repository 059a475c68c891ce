using System.Text.Json.Serialization;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>What the tenant should be. Slug, database server and database name are immutable (CEL rules in the CRD).</summary>
public sealed class TenantSpec
{
    /// <summary>Stable short name; null means metadata.name.</summary>
    [JsonPropertyName("slug")]
    public string? Slug { get; set; }

    [JsonPropertyName("displayName")]
    public string? DisplayName { get; set; }

    [JsonPropertyName("database")]
    public TenantDatabaseSpec? Database { get; set; }

    [JsonPropertyName("suspended")]
    public bool? Suspended { get; set; }

    [JsonPropertyName("suspendedReason")]
    public string? SuspendedReason { get; set; }

    /// <summary><see cref="DeletionPolicies.Retain"/> (default) or <see cref="DeletionPolicies.Delete"/>.</summary>
    [JsonPropertyName("deletionPolicy")]
    public string? DeletionPolicy { get; set; }

    /// <summary>
    /// Target schema version. Null means the latest the operator knows while the tenant is created, and "stay at the
    /// current version" afterwards; SchemaRollouts raise it (ADR-CP-006).
    /// </summary>
    [JsonPropertyName("schemaVersion")]
    public string? SchemaVersion { get; set; }

    [JsonPropertyName("billingPlan")]
    public string? BillingPlan { get; set; }

    [JsonPropertyName("contactEmail")]
    public string? ContactEmail { get; set; }

    [JsonPropertyName("maintenance")]
    public bool? Maintenance { get; set; }

    [JsonPropertyName("limits")]
    public TenantLimits? Limits { get; set; }

    [JsonPropertyName("credentials")]
    public TenantCredentials? Credentials { get; set; }
}

/// <summary>Where the tenant's database lives.</summary>
public sealed class TenantDatabaseSpec
{
    /// <summary>
    /// A tenant database server by name (a TenantDatabaseServer or a bootstrap server of the operator's configuration);
    /// unset: the operator places the tenant and records the choice in status and the catalog (ADR-CP-010).
    /// </summary>
    [JsonPropertyName("server")]
    public string? Server { get; set; }

    /// <summary>Placement only: the labels a TenantDatabaseServer must carry to take this tenant.</summary>
    [JsonPropertyName("serverSelector")]
    public TenantServerSelector? ServerSelector { get; set; }

    /// <summary>PostgreSQL database name; null means derived from the slug.</summary>
    [JsonPropertyName("name")]
    public string? Name { get; set; }

    /// <summary>
    /// The catalog id of a deleted tenant whose retained database and role this Tenant explicitly adopts; allowed only
    /// from the namespace that owned it, for the same database and server (ADR-CP-007).
    /// </summary>
    [JsonPropertyName("adoptFrom")]
    public string? AdoptFrom { get; set; }
}

/// <summary>A label selector over TenantDatabaseServers (<c>matchLabels</c> only: every pair must be among the server's labels).</summary>
public sealed class TenantServerSelector
{
    [JsonPropertyName("matchLabels")]
    public IDictionary<string, string>? MatchLabels { get; set; }
}

/// <summary>
/// Soft limits mirrored into <c>control_plane.tenant_limits</c>. Read as int64 whatever the CRD's bounds, so an object
/// stored before a bound was tightened is still read and refused by the validation rather than breaking the watch.
/// </summary>
public sealed class TenantLimits
{
    [JsonPropertyName("maxDbSizeMb")]
    public long? MaxDbSizeMb { get; set; }

    [JsonPropertyName("maxUsers")]
    public long? MaxUsers { get; set; }

    [JsonPropertyName("maxAttachmentsGb")]
    public long? MaxAttachmentsGb { get; set; }

    [JsonPropertyName("maxConnections")]
    public long? MaxConnections { get; set; }
}

/// <summary>Credentials of the tenant's database: an existing secret reference, or none to have them generated.</summary>
public sealed class TenantCredentials
{
    /// <summary>A <see cref="Core.Secrets.SecretReference"/> in its text form.</summary>
    [JsonPropertyName("secretRef")]
    public string? SecretRef { get; set; }

    /// <summary>
    /// Rotate the generated password this long after the previous rotation (or the tenant's creation): whole hours or
    /// days, e.g. <c>720h</c> or <c>30d</c>. Only without <see cref="SecretRef"/> (the operator rotates only what it generated).
    /// </summary>
    [JsonPropertyName("rotateEvery")]
    public string? RotateEvery { get; set; }
}

/// <summary>Values of <see cref="TenantSpec.DeletionPolicy"/>.</summary>
public static class DeletionPolicies
{
    public const string Retain = "Retain";
    public const string Delete = "Delete";
}
