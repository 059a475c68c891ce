using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>
/// The reference names a backend this deployment does not serve: env/mock outside ENVIRONMENT=dev,
/// Vault without SECRET_MANAGER_ENDPOINT, or a read-only backend asked to write.
/// </summary>
public sealed class SecretBackendNotEnabledException(string message, SecretReference reference)
    : SecretStoreException(message, reference);
