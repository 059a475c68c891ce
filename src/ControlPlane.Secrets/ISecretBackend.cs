using ControlPlane.Store.Secrets;

namespace ControlPlane.Secrets;

/// <summary>One secret manager. <see cref="SecretStore"/> routes each reference to the backend of its kind.</summary>
public interface ISecretBackend
{
    SecretBackendKind Kind { get; }

    Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken);

    Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken);

    Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken);

    /// <summary>
    /// Stores <paramref name="candidate"/> only if the key is absent, atomically with respect to other writers
    /// (Kubernetes create/resourceVersion, Vault check-and-set), and returns whichever value ends up stored.
    /// </summary>
    Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken);
}
