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

    /// <summary>
    /// Deletion's escape hatch (docs/lifecycle.md): on a Tenant being deleted, its value (the reason, required) lets the
    /// operator release the finalizer when cleanup cannot finish (server removed from the configuration or failing,
    /// roles owning objects in other databases), audited as a catalog <c>cleanup_skipped</c> event. Ignored otherwise.
    /// </summary>
    public const string SkipCleanupAnnotation = "controlplane.econt.io/skip-cleanup";

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
