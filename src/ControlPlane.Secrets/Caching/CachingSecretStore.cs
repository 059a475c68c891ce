using System.Collections.Concurrent;
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
    private readonly ConcurrentDictionary<SecretReference, Entry> _entries = new();
    private readonly CancellationTokenSource _lifetime = new();
    private readonly ISecretStore _inner;
    private readonly TimeProvider _time;
    private readonly TimeSpan _ttl;
    private int _disposed;

    public CachingSecretStore(ISecretStore inner, IOptions<SecretStoreOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        _inner = inner;
        _time = time;
        _ttl = options.Value.CacheTtl;
    }

    public Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        while (true)
        {
            if (_entries.TryGetValue(reference, out var current) && current.IsUsable(_time.GetUtcNow()))
            {
                return current.Value.WaitAsync(cancellationToken);
            }

            var fresh = new Entry();
            var stored = current is null
                ? _entries.TryAdd(reference, fresh)
                : _entries.TryUpdate(reference, fresh, current);
            if (stored)
            {
                _ = Fill(reference, fresh);
                return fresh.Value.WaitAsync(cancellationToken);
            }

            // Another reader replaced the entry between our look and our write: use theirs.
        }
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
    public void Invalidate(SecretReference reference) => _entries.TryRemove(reference, out _);

    // Idempotent: the container disposes this instance once per registration that exposes it.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _lifetime.Cancel();
            _lifetime.Dispose();
        }
    }

    // The fetch belongs to the cache, not to the first caller: one caller's cancellation must not fail the
    // others waiting on the same fetch, so it runs under the cache's lifetime and callers wait with their own token.
    private async Task Fill(SecretReference reference, Entry entry)
    {
        try
        {
            var value = await _inner.ReadAsync(reference, _lifetime.Token).ConfigureAwait(false);
            entry.Complete(value, _time.GetUtcNow() + _ttl);
        }
        catch (Exception exception)
        {
            // Failures are not cached: the next reader tries the backend again.
            _entries.TryRemove(new KeyValuePair<SecretReference, Entry>(reference, entry));
            entry.Fail(exception);
        }
    }

    private sealed class Entry
    {
        private readonly TaskCompletionSource<SecretValue> _value = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _expiresAtTicks = long.MaxValue;

        public Task<SecretValue> Value => _value.Task;

        public void Complete(SecretValue value, DateTimeOffset expiresAt)
        {
            // Expiry first, so no reader sees a completed entry without one.
            Volatile.Write(ref _expiresAtTicks, expiresAt.UtcTicks);
            _value.TrySetResult(value);
        }

        public void Fail(Exception exception) => _value.TrySetException(exception);

        /// <summary>In flight (shared by every reader) or completed and not yet expired.</summary>
        public bool IsUsable(DateTimeOffset now) =>
            !Value.IsCompleted || (Value.IsCompletedSuccessfully && now.UtcTicks < Volatile.Read(ref _expiresAtTicks));
    }
}
