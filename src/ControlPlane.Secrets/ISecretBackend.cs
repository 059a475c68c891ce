using ControlPlane.Core.Secrets;

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

    /// <summary>
    /// Stores <paramref name="candidate"/> as a new version marked with <paramref name="rotation"/> (the mark is written
    /// in the same request as the value, see <see cref="RotationMarks"/>), unless the stored value already carries that
    /// mark: then the stored value is returned and nothing is written. So a rotation retried after a crash writes
    /// exactly one version. Only secrets the operator created are rotated.
    /// </summary>
    /// <remarks>The default refuses, so a backend that cannot keep the mark beside the value never rotates twice by accident.</remarks>
    Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken) =>
        Task.FromException<SecretValue>(new SecretStoreException(
            $"The {Kind} secret backend cannot record which rotation a version belongs to, so the operator does not rotate {reference}.", reference));

    /// <summary>
    /// The value at <paramref name="reference"/> with the rotation mark stored beside it (see <see cref="GetOrRotateAsync"/>);
    /// <see cref="SecretNotFoundException"/> when absent. What a rotation reads to resume after a crash.
    /// </summary>
    /// <remarks>The default refuses, like <see cref="GetOrRotateAsync"/>: a backend without marks cannot resume a rotation.</remarks>
    Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken) =>
        Task.FromException<MarkedSecretValue>(new SecretStoreException(
            $"The {Kind} secret backend cannot record which rotation a version belongs to, so the operator does not rotate {reference}.", reference));
}
