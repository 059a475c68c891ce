using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Dev;

/// <summary>
/// Reads <c>env:&lt;VARIABLE&gt;</c> from the operator's own environment (dev only). Read-only: a process cannot
/// durably change its environment, so writes, rotations and deletes are refused with a message saying what to do;
/// "ensure a generated password" succeeds only when the variable is already set.
/// </summary>
public sealed class EnvSecretBackend(Func<string, string?> lookup) : ISecretBackend
{
    public EnvSecretBackend()
        : this(Environment.GetEnvironmentVariable)
    {
    }

    public SecretBackendKind Kind => SecretBackendKind.Env;

    public Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return lookup(reference.Location) is { Length: > 0 } value
            ? Task.FromResult(new SecretValue(value))
            : Task.FromException<SecretValue>(new SecretNotFoundException(
                $"Environment variable {reference.Location} (from {reference}) is not set in the operator's environment.", reference));
    }

    public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken) =>
        Task.FromException(ReadOnly(reference));

    public Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken) =>
        Task.FromException<SecretDeletion>(ReadOnly(reference));

    public Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken) =>
        Task.FromException<SecretValue>(ReadOnly(reference));

    public Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken) =>
        ReadAsync(reference, cancellationToken);

    private static SecretBackendNotEnabledException ReadOnly(SecretReference reference) =>
        new($"The env backend is read-only: set {reference.Location} in the operator's environment yourself, " +
            "or use SECRET_MANAGER_BACKEND=mock in dev to let the operator generate passwords.", reference);
}
