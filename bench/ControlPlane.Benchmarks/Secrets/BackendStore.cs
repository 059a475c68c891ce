using ControlPlane.Core.Secrets;
using ControlPlane.Secrets;

namespace ControlPlane.Benchmarks.Secrets;

/// <summary>One backend seen as an <see cref="ISecretStore"/>, so the cache can be put in front of exactly what is measured without it.</summary>
internal sealed class BackendStore(ISecretBackend backend) : ISecretStore
{
    public Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken) => backend.ReadAsync(reference, cancellationToken);

    public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken) =>
        backend.WriteAsync(reference, value, owner, cancellationToken);

    public Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken) => backend.DeleteAsync(reference, cancellationToken);

    public Task<SecretValue> EnsureGeneratedPasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken) =>
        backend.GetOrCreateAsync(reference, new PasswordGenerator().Generate(), owner, cancellationToken);

    public async Task<SecretValue> RotatePasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken)
    {
        var value = new PasswordGenerator().Generate();
        await backend.WriteAsync(reference, value, owner, cancellationToken);
        return value;
    }
}
