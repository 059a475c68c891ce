using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>The LIST response for tenants (KubernetesList&lt;T&gt; is not an IKubernetesObject, so generic code needs its own).</summary>
public sealed class TenantList : IKubernetesObject<V1ListMeta>, IItems<Tenant>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Tenant.ApiGroup}/{Tenant.ApiVersionName}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "TenantList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<Tenant> Items { get; set; } = [];
}
