using System.Collections.Concurrent;

namespace ControlPlane.Core.Caching;

/// <summary>
/// One fetch per key in flight, shared by every caller, and its result kept until it expires
/// (<see cref="SingleFlightCachePolicy{TValue}"/> says which results are kept and for how long).
/// <para>
/// The fetch belongs to the cache, not to the first caller: one caller's cancellation must not fail the others sharing
/// it, so it runs under the cache's lifetime (cancelled by <see cref="Dispose"/>) and each caller waits with its own
/// token. A fetch whose callers all left still completes, and its result is kept for the next caller.
/// </para>
/// <para>
/// An entry is published before its fetch starts, so an <see cref="Invalidate"/> for a change the fetch might not see
/// always finds (and drops) it. While the cache is not serving (<see cref="SuspendServing"/>), concurrent calls still share
/// a fetch in flight but no completed result is served; suspending and resuming both drop every result fetched before,
/// so nothing fetched before a gap survives the gap.
/// </para>
/// </summary>
public sealed class SingleFlightCache<TKey, TValue> : IDisposable
    where TKey : notnull
{
    private readonly ConcurrentDictionary<TKey, Entry> _entries;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Func<TKey, CancellationToken, Task<TValue>> _fetch;
    private readonly Func<TValue, bool> _keeps;
    private readonly TimeProvider _time;
    private readonly long _ttlTimestampUnits;
    private int _disposed;

    // Odd while serving. Every suspend and every resume bumps it, and a completed entry is served only in the
    // generation it was fetched in.
    private int _generation;

    /// <param name="fetch">Reads the value of one key; called with the cache's lifetime token, never a caller's.</param>
    /// <param name="policy">Which results are kept, for how long, and whether the cache serves from the start.</param>
    /// <param name="time">The clock expiry is measured with (its monotonic timestamp, not the wall clock).</param>
    /// <param name="comparer">How keys compare; the default comparer of <typeparamref name="TKey"/> when null.</param>
    public SingleFlightCache(
        Func<TKey, CancellationToken, Task<TValue>> fetch, SingleFlightCachePolicy<TValue> policy, TimeProvider time, IEqualityComparer<TKey>? comparer = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentOutOfRangeException.ThrowIfLessThan(policy.TimeToLive, TimeSpan.Zero, nameof(policy));
        _fetch = fetch ?? throw new ArgumentNullException(nameof(fetch));
        _keeps = policy.Keeps ?? throw new ArgumentException("The policy must say which results are kept.", nameof(policy));
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _entries = new ConcurrentDictionary<TKey, Entry>(comparer);
        _ttlTimestampUnits = (long)Math.Min(policy.TimeToLive.TotalSeconds * time.TimestampFrequency, long.MaxValue / 2);
        _generation = policy.ServesFromStart ? 1 : 0;
    }

    /// <summary>Whether completed results are served now.</summary>
    public bool IsServing => (Volatile.Read(ref _generation) & 1) == 1;

    /// <summary>
    /// The kept result for <paramref name="key"/>, the result of the fetch in flight for it, or the result of a new fetch.
    /// <paramref name="cancellationToken"/> ends this caller's wait only, never the fetch.
    /// </summary>
    public Task<TValue> GetAsync(TKey key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        while (true)
        {
            var generation = Volatile.Read(ref _generation);
            if (_entries.TryGetValue(key, out var current) && current.IsUsable(generation, _time.GetTimestamp()))
            {
                return current.Value.WaitAsync(cancellationToken);
            }

            var fresh = new Entry(generation);
            if (current is null ? _entries.TryAdd(key, fresh) : _entries.TryUpdate(key, fresh, current))
            {
                _ = FillAsync(key, fresh);
                return fresh.Value.WaitAsync(cancellationToken);
            }

            // Another caller replaced the entry between our look and our write: use theirs.
        }
    }

    /// <summary>Drops the entry for <paramref name="key"/>: the next call fetches (a fetch in flight still completes for its callers).</summary>
    public void Invalidate(TKey key)
    {
        ArgumentNullException.ThrowIfNull(key);
        _entries.TryRemove(key, out _);
    }

    /// <summary>Drops every entry.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Serves completed results again, only those fetched from now on.</summary>
    public void ResumeServing() => MoveGeneration(toServing: true);

    /// <summary>Stops serving completed results (fetches in flight are still shared) and forgets every result fetched before.</summary>
    public void SuspendServing() => MoveGeneration(toServing: false);

    /// <summary>Cancels every fetch in flight. Idempotent.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _lifetime.Cancel();
            _lifetime.Dispose();
        }
    }

    private void MoveGeneration(bool toServing)
    {
        while (true)
        {
            var generation = Volatile.Read(ref _generation);
            if (((generation & 1) == 1) == toServing || Interlocked.CompareExchange(ref _generation, generation + 1, generation) == generation)
            {
                return;
            }
        }
    }

    private async Task FillAsync(TKey key, Entry entry)
    {
        try
        {
            var value = await _fetch(key, _lifetime.Token).ConfigureAwait(false);
            if (!_keeps(value))
            {
                // Dropped before completing, so no caller that comes after the result is served it from memory.
                _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            }

            entry.Complete(value, _time.GetTimestamp() + _ttlTimestampUnits);
        }
        catch (Exception exception)
        {
            // Failures are not kept: the next call fetches again.
            _entries.TryRemove(new KeyValuePair<TKey, Entry>(key, entry));
            entry.Fail(exception);
        }
    }

    private sealed class Entry(int generation)
    {
        private readonly TaskCompletionSource<TValue> _value = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _expiresAt = long.MaxValue;

        public Task<TValue> Value => _value.Task;

        public void Complete(TValue value, long expiresAt)
        {
            // Expiry first, so no reader sees a completed entry without one.
            Volatile.Write(ref _expiresAt, expiresAt);
            _value.TrySetResult(value);
        }

        public void Fail(Exception exception) => _value.TrySetException(exception);

        /// <summary>In flight (shared by every caller), or completed successfully in the current serving generation and not expired.</summary>
        public bool IsUsable(int currentGeneration, long now) =>
            !Value.IsCompleted
            || (Value.IsCompletedSuccessfully && generation == currentGeneration && (currentGeneration & 1) == 1 && now < Volatile.Read(ref _expiresAt));
    }
}
