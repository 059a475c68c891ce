using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>
/// The one way the control plane reads and writes credentials, whatever the backend behind a
/// <see cref="SecretReference"/>. Failures are <see cref="SecretStoreException"/> subclasses whose messages
/// name the reference and the cause, never the value.
/// </summary>
public interface ISecretStore
{
    /// <summary>The value at <paramref name="reference"/>; <see cref="SecretNotFoundException"/> when absent.</summary>
    Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken);

    /// <summary>Creates or replaces the value at <paramref name="reference"/>, leaving other keys of the same secret alone.</summary>
    Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken);

    /// <summary>Removes the key; removes the secret object once empty, and only if the operator created it.</summary>
    Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken);

    /// <summary>
    /// Returns the password at <paramref name="reference"/>, generating and storing one first if there is none.
    /// Idempotent and race-safe: concurrent or repeated calls (say, after a crash between writing the secret and
    /// creating the database role) all return the one stored value.
    /// </summary>
    Task<SecretValue> EnsureGeneratedPasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken);

    /// <summary>Stores a freshly generated password at <paramref name="reference"/> and returns it.</summary>
    Task<SecretValue> RotatePasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken);

    /// <summary>
    /// The password of rotation request <paramref name="rotation"/>: generated and stored as a new version marked with
    /// the request the first time, the stored one on every later call (after a crash between writing the version and
    /// changing the database role). Exactly one new version per request.
    /// </summary>
    Task<SecretValue> EnsureRotatedPasswordAsync(SecretReference reference, string rotation, SecretOwner owner, CancellationToken cancellationToken) =>
        Task.FromException<SecretValue>(new SecretStoreException($"This secret store cannot rotate {reference}.", reference));

    /// <summary>
    /// Stores <paramref name="value"/> at <paramref name="reference"/> as the version of rotation request
    /// <paramref name="rotation"/>, unless that request's version is already there: then the stored value is returned
    /// and nothing is written. The caller compares the result with <paramref name="value"/> (the admin password's
    /// promotion, where the value was generated and applied before this write).
    /// </summary>
    Task<SecretValue> StoreRotatedPasswordAsync(SecretReference reference, SecretValue value, string rotation, SecretOwner owner, CancellationToken cancellationToken) =>
        Task.FromException<SecretValue>(new SecretStoreException($"This secret store cannot rotate {reference}.", reference));

    /// <summary>The value and its rotation mark, read from the backend (never from a cache): what a rotation resumes from.</summary>
    Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken) =>
        Task.FromException<MarkedSecretValue>(new SecretStoreException($"This secret store cannot rotate {reference}.", reference));
}
