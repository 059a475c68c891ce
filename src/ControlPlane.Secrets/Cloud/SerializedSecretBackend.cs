using System.Collections.Concurrent;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Cloud;

/// <summary>
/// Runs the calls that change one secret one at a time within this process, for a service without a
/// compare-and-set (Azure Key Vault): read-modify-write and ensure-generated are then atomic against the operator's
/// own concurrent reconciles, not against another process (the operator runs one leader; ADR-CP-009). Reads are not
/// serialized. One semaphore per secret, kept for the life of the process (one per tenant).
/// </summary>
public sealed class SerializedSecretBackend(ISecretBackend inner) : ISecretBackend
{
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);

    public SecretBackendKind Kind => inner.Kind;

    public Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken) => inner.ReadAsync(reference, cancellationToken);

    public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken) =>
        SerializedAsync(reference, async () =>
        {
            await inner.WriteAsync(reference, value, owner, cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken) =>
        SerializedAsync(reference, () => inner.DeleteAsync(reference, cancellationToken), cancellationToken);

    public Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken) =>
        SerializedAsync(reference, () => inner.GetOrCreateAsync(reference, candidate, owner, cancellationToken), cancellationToken);

    // Forwarded (the interface's defaults would refuse): Key Vault keeps the rotation mark in the same JSON version.
    public Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken) =>
        SerializedAsync(reference, () => inner.GetOrRotateAsync(reference, candidate, rotation, owner, cancellationToken), cancellationToken);

    public Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken) => inner.ReadMarkedAsync(reference, cancellationToken);

    private async Task<T> SerializedAsync<T>(SecretReference reference, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        // The secret, not the key: keys of one secret share its versions.
        var gate = _gates.GetOrAdd($"{reference.Container}/{reference.Name}", _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await call().ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
