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

    /// <summary>Label selector for the operator's Secrets, e.g. for kubectl or an informer.</summary>
    public const string Selector = ManagedByKey + "=" + ManagedBy;
}
