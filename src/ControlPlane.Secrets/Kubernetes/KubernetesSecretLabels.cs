namespace ControlPlane.Secrets.Kubernetes;

/// <summary>
/// Labels on every Secret the operator creates. <see cref="ManagedBy"/> is the ownership mark: the operator
/// changes or deletes only Secrets that carry it, never a Secret someone else put a reference to.
/// </summary>
public static class KubernetesSecretLabels
{
    public const string ManagedByKey = "app.kubernetes.io/managed-by";
    public const string ManagedBy = "econt-control-plane";
    public const string TenantKey = "controlplane.econt.io/tenant";

    /// <summary>
    /// Annotation by which a Secret grants itself to Tenants of its own namespace as <c>credentials.secretRef</c>: a
    /// comma-separated list of Tenant names (<c>metadata.name</c>), e.g. <c>acme,globex</c>. An annotation, not a label,
    /// because a list of names does not fit a label value (63 characters, no commas). Never honoured on a Secret the
    /// operator generated (<see cref="ManagedByKey"/>), whoever annotates it.
    /// </summary>
    public const string GrantedToTenantsKey = "controlplane.econt.io/granted-to-tenants";

    /// <summary>Label selector for the operator's Secrets, e.g. for kubectl or an informer.</summary>
    public const string Selector = ManagedByKey + "=" + ManagedBy;
}
