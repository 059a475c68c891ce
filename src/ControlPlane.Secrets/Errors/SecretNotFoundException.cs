using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>The referenced secret, or the key inside it, does not exist (Kubernetes or Vault 404).</summary>
public sealed class SecretNotFoundException(string message, SecretReference reference)
    : SecretStoreException(message, reference);
