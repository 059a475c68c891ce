using ControlPlane.Core.Caching;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using Microsoft.Extensions.Options;

namespace ControlPlane.Secrets.Caching;

/// <summary>
/// Serves reads from memory for a short TTL (specification §7: "cache con TTL corto"). Concurrent readers of
/// one key share a single backend fetch; writes, rotations and deletes made through this store drop the entry.
/// Values live only in this process's memory: never persisted, never shared.
/// </summary>
public sealed class CachingSecretStore : ISecretStore, ISecretCache, IDisposable
{
    private readonly SingleFlightCache<SecretReference, SecretValue> _cache;
    private readonly ISecretStore _inner;

    public CachingSecretStore(ISecretStore inner, IOptions<SecretStoreOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _cache = new SingleFlightCache<SecretReference, SecretValue>(
            (reference, cancellationToken) => _inner.ReadAsync(reference, cancellationToken),
            new SingleFlightCachePolicy<SecretValue> { TimeToLive = options.Value.CacheTtl },
            time);
    }

    public Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return _cache.GetAsync(reference, cancellationToken);
    }

    public async Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken)
    {
        try
        {
            await _inner.WriteAsync(reference, value, owner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Invalidate(reference);
        }
    }

    public async Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.DeleteAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Invalidate(reference);
        }
    }

    public async Task<SecretValue> EnsureGeneratedPasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.EnsureGeneratedPasswordAsync(reference, owner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Invalidate(reference);
        }
    }

    public async Task<SecretValue> RotatePasswordAsync(SecretReference reference, SecretOwner owner, CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.RotatePasswordAsync(reference, owner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Invalidate(reference);
        }
    }

    public async Task<SecretValue> EnsureRotatedPasswordAsync(SecretReference reference, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.EnsureRotatedPasswordAsync(reference, rotation, owner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Invalidate(reference);
        }
    }

    public async Task<SecretValue> StoreRotatedPasswordAsync(SecretReference reference, SecretValue value, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        try
        {
            return await _inner.StoreRotatedPasswordAsync(reference, value, rotation, owner, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Invalidate(reference);
        }
    }

    /// <summary>Never cached: a rotation decides from what is stored now, not from what was stored a TTL ago.</summary>
    public Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken) =>
        _inner.ReadMarkedAsync(reference, cancellationToken);

    /// <summary>Drops the cached value, e.g. after the database rejected a password that was rotated elsewhere.</summary>
    public void Invalidate(SecretReference reference) => _cache.Invalidate(reference);

    // Idempotent (the cache's Dispose is): the container disposes this instance once per registration that exposes it.
    public void Dispose() => _cache.Dispose();
}
