using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>
/// The backend cannot serve now: Vault sealed or standby (503/429), a timeout, a refused connection.
/// Transient: the caller should retry later (the Vault client has already retried safe operations).
/// </summary>
public sealed class SecretBackendUnavailableException(string message, SecretReference? reference, Exception? innerException = null)
    : SecretStoreException(message, reference, isTransient: true, innerException);
