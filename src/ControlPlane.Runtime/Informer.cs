using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Runtime;

/// <summary>
/// List-then-watch for one kind over a set of namespace scopes (null = all namespaces), keeping
/// <see cref="Cache"/> and calling <see cref="Changed"/> with every key that may need reconciling.
/// <list type="bullet">
/// <item>Tracks the resourceVersion of every event, bookmarks included, and re-watches from it when a stream ends
/// (server timeout, dropped connection): no event between two streams is lost.</item>
/// <item>On 410 (history compacted) it relists: every listed object is reported (level-based resync) and every cached
/// object missing from the list is removed and reported as deleted.</item>
/// <item>Other errors back off exponentially with jitter, then re-watch (or relist if the list itself failed). The
/// backoff resets as soon as a watch is established (not only when an event arrives, which may take minutes), and
/// when failures have lasted <see cref="InformerSettings.RelistAfter"/> the informer relists instead of re-watching.</item>
/// </list>
/// </summary>
public sealed class Informer<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private static readonly TimeSpan QuickCloseThreshold = TimeSpan.FromSeconds(1);
    private readonly IResourceClient<T> _client;
    private readonly IReadOnlyList<string?> _scopes;
    private readonly InformerSettings _settings;
    private readonly TimeProvider _time;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ScopeContact[] _contact;
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _unsyncedScopes;

    public Informer(
        IResourceClient<T> client,
        IReadOnlyList<string> namespaces,
        InformerSettings settings,
        TimeProvider time,
        RuntimeMetrics metrics,
        ILogger logger)
    {
        _client = client;
        _scopes = namespaces.Count == 0 ? [null] : [.. namespaces.Distinct()];
        _settings = settings;
        _time = time;
        _metrics = metrics;
        _logger = logger;
        _unsyncedScopes = _scopes.Count;
        _contact = [.. _scopes.Select(_ => new ScopeContact(time.GetTimestamp()))];
    }

    public ResourceCache<T> Cache { get; } = new();

    /// <summary>True once the initial list of every scope has been stored and reported.</summary>
    public bool HasSynced => Volatile.Read(ref _unsyncedScopes) == 0;

    /// <summary>
    /// Completes when <see cref="HasSynced"/> turns true (at once if it is), without polling; cancelled by
    /// <paramref name="cancellationToken"/> only (an informer that never lists never completes it).
    /// </summary>
    public Task WaitForSyncAsync(CancellationToken cancellationToken) => _synced.Task.WaitAsync(cancellationToken);

    /// <summary>Called for every key that changed, was relisted or vanished. Must not block.</summary>
    public event Action<ResourceKey>? Changed;

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(_scopes.Select((scope, i) => RunScopeAsync(scope, _contact[i], cancellationToken)));

    /// <summary>
    /// False when some scope has neither an open watch nor a successful list or watch within
    /// <paramref name="staleAfter"/>: the cache may be frozen and nothing would say so.
    /// </summary>
    public bool IsHealthy(TimeSpan staleAfter) => _contact.All(c => c.IsFresh(_time, staleAfter));

    private async Task RunScopeAsync(string? scope, ScopeContact contact, CancellationToken cancellationToken)
    {
        string? resourceVersion = null;
        var failures = 0;
        var quietCloses = 0;
        long? failingSince = null;
        var synced = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if (resourceVersion is null)
                {
                    resourceVersion = await RelistAsync(scope, cancellationToken);
                    contact.Touch(_time);
                    failures = 0;
                    failingSince = null;
                    if (!synced)
                    {
                        synced = true;
                        if (Interlocked.Decrement(ref _unsyncedScopes) == 0)
                        {
                            _synced.TrySetResult();
                        }
                    }
                }

                var opened = _time.GetTimestamp();
                var delivered = false;
                try
                {
                    await foreach (var change in _client.WatchAsync(scope, resourceVersion, _settings.WatchTimeout, cancellationToken))
                    {
                        contact.Touch(_time);
                        if (change.IsOpening)
                        {
                            // Established (HTTP 200): the server is answering again, so the next failure starts the backoff afresh.
                            contact.WatchOpen = true;
                            failures = 0;
                            failingSince = null;
                            continue;
                        }

                        Apply(change);
                        if (change.ResourceVersion.Length > 0)
                        {
                            resourceVersion = change.ResourceVersion;
                        }

                        delivered = true;
                        quietCloses = 0;
                    }
                }
                finally
                {
                    contact.WatchOpen = false;
                }

                _metrics.WatchRestarted("closed");
                Log.WatchClosed(_logger, typeof(T).Name, scope ?? "*", resourceVersion);

                // A stream that ends at once with nothing in it is a server refusing quietly: back off, don't spin.
                if (!delivered && _time.GetElapsedTime(opened) < QuickCloseThreshold && !await BackOffAsync(++quietCloses, null, scope, null, cancellationToken))
                {
                    return;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (ResourceExpiredException e)
            {
                _metrics.WatchRestarted("expired");
                Log.WatchExpired(_logger, typeof(T).Name, scope ?? "*", e.Message);
                resourceVersion = null;
            }
            catch (Exception e)
            {
                _metrics.WatchRestarted("error");
                failingSince ??= _time.GetTimestamp();
                var relistIn = _settings.RelistAfter - _time.GetElapsedTime(failingSince.Value);
                if (resourceVersion is not null && relistIn <= TimeSpan.Zero)
                {
                    // Failures other than 410 for this long: whatever the server remembers, a fresh list is the way back.
                    Log.WatchRelistAfterFailures(_logger, typeof(T).Name, scope ?? "*", _time.GetElapsedTime(failingSince.Value));
                    resourceVersion = null;
                    continue;
                }

                // The backoff never sleeps past the relist bound (a climbing backoff must not hide a frozen cache).
                if (!await BackOffAsync(++failures, e, scope, resourceVersion is null ? null : relistIn, cancellationToken))
                {
                    return;
                }

                if (resourceVersion is not null && _time.GetElapsedTime(failingSince.Value) >= _settings.RelistAfter)
                {
                    Log.WatchRelistAfterFailures(_logger, typeof(T).Name, scope ?? "*", _time.GetElapsedTime(failingSince.Value));
                    resourceVersion = null;
                }
            }
        }
    }

    /// <returns>False when cancelled while waiting.</returns>
    private async Task<bool> BackOffAsync(int failures, Exception? error, string? scope, TimeSpan? atMost, CancellationToken cancellationToken)
    {
        var delay = _settings.Backoff.Delay(failures);
        if (atMost is { } cap && cap < delay)
        {
            delay = cap;
        }

        Log.WatchFailed(_logger, error, typeof(T).Name, scope ?? "*", delay);
        try
        {
            await Task.Delay(delay, _time, cancellationToken);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private async Task<string> RelistAsync(string? scope, CancellationToken cancellationToken)
    {
        var present = new HashSet<ResourceKey>();
        var listed = new List<T>();
        string? continueToken = null;
        string resourceVersion;
        do
        {
            var page = await _client.ListAsync(scope, continueToken, _settings.ListPageSize, cancellationToken);
            listed.AddRange(page.Items);
            resourceVersion = page.ResourceVersion;
            continueToken = page.Continue;
        }
        while (continueToken is not null);

        foreach (var item in listed)
        {
            Cache.Upsert(item);
            present.Add(ResourceKey.Of(item));
        }

        var vanished = Cache.Missing(scope, present);
        foreach (var key in vanished)
        {
            Cache.Remove(key);
        }

        _metrics.Relisted();
        Log.Relisted(_logger, typeof(T).Name, scope ?? "*", listed.Count, vanished.Count, resourceVersion);
        foreach (var key in present.Concat(vanished))
        {
            Changed?.Invoke(key);
        }

        return resourceVersion;
    }

    private void Apply(WatchEvent<T> change)
    {
        switch (change.Type)
        {
            case WatchEventType.Added or WatchEventType.Modified when change.Resource is not null:
                Cache.Upsert(change.Resource);
                Changed?.Invoke(ResourceKey.Of(change.Resource));
                break;
            case WatchEventType.Deleted when change.Resource is not null:
                var key = ResourceKey.Of(change.Resource);
                Cache.Remove(key);
                Changed?.Invoke(key);
                break;
        }
    }
}

/// <summary>
/// Timings of an <see cref="Informer{T}"/>. <paramref name="RelistAfter"/> bounds how long watches may keep failing
/// (with anything but 410, which relists at once) before the informer gives up on its resourceVersion and relists.
/// </summary>
public sealed record InformerSettings(TimeSpan WatchTimeout, Backoff Backoff, int ListPageSize, TimeSpan RelistAfter)
{
    /// <summary>Between failed watches: short enough to catch up quickly, capped so a down API server is not hammered.</summary>
    public static readonly Backoff DefaultWatchBackoff = new(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30));
}

/// <summary>When one scope last heard from the server (a list, an established watch, an event) and whether a watch is open.</summary>
internal sealed class ScopeContact(long start)
{
    private long _last = start;
    private volatile bool _watchOpen;

    public bool WatchOpen
    {
        get => _watchOpen;
        set => _watchOpen = value;
    }

    public void Touch(TimeProvider time) => Interlocked.Exchange(ref _last, time.GetTimestamp());

    public bool IsFresh(TimeProvider time, TimeSpan staleAfter) => _watchOpen || time.GetElapsedTime(Interlocked.Read(ref _last)) < staleAfter;
}
