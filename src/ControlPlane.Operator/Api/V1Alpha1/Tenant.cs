using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>A tenant of the econt SaaS (<c>tenants.controlplane.econt.io/v1alpha1</c>); the CRD in config/crds describes the same fields.</summary>
public sealed class Tenant : IKubernetesObject<V1ObjectMeta>, ISpec<TenantSpec>, IStatus<TenantStatus>
{
    public const string ApiGroup = "controlplane.econt.io";
    public const string ApiVersionName = "v1alpha1";
    public const string KindName = "Tenant";
    public const string Plural = "tenants";

    /// <summary>Added before any external side effect; removed only after cleanup.</summary>
    public const string Finalizer = "controlplane.econt.io/finalizer";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{ApiGroup}/{ApiVersionName}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = KindName;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public TenantSpec Spec { get; set; } = new();

    [JsonPropertyName("status")]
    public TenantStatus Status { get; set; } = new();
}
