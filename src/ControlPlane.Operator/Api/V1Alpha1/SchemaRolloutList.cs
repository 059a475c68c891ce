using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>The LIST response for schema rollouts.</summary>
public sealed class SchemaRolloutList : IKubernetesObject<V1ListMeta>, IItems<SchemaRollout>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Tenant.ApiGroup}/{Tenant.ApiVersionName}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "SchemaRolloutList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<SchemaRollout> Items { get; set; } = [];
}
