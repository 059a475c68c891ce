using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// A schema rollout across the tenants of one namespace (<c>schemarollouts.controlplane.econt.io/v1alpha1</c>):
/// canary, then batches, halting on failure. The CRD in config/crds describes the same fields; ADR-CP-006 the model.
/// </summary>
public sealed class SchemaRollout : IKubernetesObject<V1ObjectMeta>, ISpec<SchemaRolloutSpec>, IStatus<SchemaRolloutStatus>
{
    public const string KindName = "SchemaRollout";
    public const string Plural = "schemarollouts";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Tenant.ApiGroup}/{Tenant.ApiVersionName}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public SchemaRolloutSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public SchemaRolloutStatus Status { get; set; } = new();
}
