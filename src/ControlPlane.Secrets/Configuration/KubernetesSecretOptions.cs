namespace ControlPlane.Secrets.Configuration;

/// <summary>Kubernetes Secrets backend settings.</summary>
public sealed class KubernetesSecretOptions
{
    /// <summary>Namespace where the operator generates tenant Secrets (<c>SECRET_KUBERNETES_NAMESPACE</c>).</summary>
    public string Namespace { get; set; } = "econt-tenants";

    /// <summary>Attempts when a concurrent writer changed the Secret (HTTP 409) between read and write.</summary>
    public int ConflictAttempts { get; set; } = 5;
}
