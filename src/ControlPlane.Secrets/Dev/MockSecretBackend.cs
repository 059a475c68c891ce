using System.Collections.Concurrent;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Dev;

/// <summary>
/// In-memory secrets for <c>ENVIRONMENT=dev</c> and tests (<c>mock:&lt;name&gt;</c>). Lost on restart, which is
/// fine for dev: the operator regenerates and re-applies passwords it cannot read back.
/// </summary>
public sealed class MockSecretBackend : ISecretBackend
{
    private readonly ConcurrentDictionary<string, SecretValue> _values = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _rotations = new(StringComparer.Ordinal);
    private readonly Lock _rotating = new();

    public SecretBackendKind Kind => SecretBackendKind.Mock;

    public Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return _values.TryGetValue(reference.Location, out var value)
            ? Task.FromResult(value)
            : Task.FromException<SecretValue>(new SecretNotFoundException($"Mock secret {reference} does not exist.", reference));
    }

    public Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        lock (_rotating)
        {
            return _values.TryGetValue(reference.Location, out var value)
                ? Task.FromResult(new MarkedSecretValue(value, _rotations.GetValueOrDefault(reference.Location)))
                : Task.FromException<MarkedSecretValue>(new SecretNotFoundException($"Mock secret {reference} does not exist.", reference));
        }
    }

    public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        _values[reference.Location] = value;
        return Task.CompletedTask;
    }

    public Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        _rotations.TryRemove(reference.Location, out _);
        return Task.FromResult(_values.TryRemove(reference.Location, out _) ? SecretDeletion.Deleted : SecretDeletion.NotFound);
    }

    public Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return Task.FromResult(_values.GetOrAdd(reference.Location, candidate));
    }

    public Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        lock (_rotating)
        {
            if (_rotations.TryGetValue(reference.Location, out var done) && done == rotation && _values.TryGetValue(reference.Location, out var stored))
            {
                return Task.FromResult(stored);
            }

            _values[reference.Location] = candidate;
            _rotations[reference.Location] = rotation;
            return Task.FromResult(candidate);
        }
    }
}
