using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>The backend refused the operator (Kubernetes RBAC or Vault policy, HTTP 403). Not retried.</summary>
public sealed class SecretAccessDeniedException(string message, SecretReference? reference)
    : SecretStoreException(message, reference);
