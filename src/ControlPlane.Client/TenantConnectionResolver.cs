using System.Collections.Concurrent;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ControlPlane.Client;

/// <summary>
/// Resolves a tenant slug to a connection or a typed refusal (ADR-CP-005): reads the live catalog row, applies the
/// status policy, and only for an allowed tenant reads the password from the secret manager.
/// <para>
/// Results are cached for <see cref="TenantConnectionResolverOptions.CacheTtl"/>, but a cached result is served only
/// while the change listener (<see cref="StartAsync"/>) is subscribed: a change notification drops the tenant's entry
/// at once, and losing the subscription makes every cached entry unusable (notifications sent meanwhile are lost), so
/// a suspension is never answered from memory with an allow. Concurrent resolves of one slug share one fetch.
/// Without <see cref="StartAsync"/> (one-shot tools) every resolve reads the catalog.
/// </para>
/// </summary>
public sealed class TenantConnectionResolver : ITenantChangeSink, IAsyncDisposable
{
    // Slugs compare case-insensitively and are ASCII (validated first), so OrdinalIgnoreCase is exact and allocation-free.
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    // The secret reference each slug was last resolved with, so a change notification can also drop the secret store's
    // cached password (a rotation writes the secret first and the catalog last). Bounded by the tenants this process resolved.
    private readonly ConcurrentDictionary<string, SecretReference> _secretRefs = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TenantCatalog _catalog;
    private readonly ISecretStore _secrets;
    private readonly TenantConnectionResolverOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly TenantChangeListener _listener;
    private readonly long _ttlTimestampUnits;
    private Task? _listening;

    // Odd while the listener is subscribed. Every subscribe and every loss bumps it, and an entry is served only in
    // the epoch it was fetched in, so nothing fetched before a gap in notifications survives the gap.
    private int _epoch;

    public TenantConnectionResolver(
        NpgsqlDataSource catalog, ISecretStore secrets, TenantConnectionResolverOptions options, TimeProvider time, ILogger<TenantConnectionResolver> logger)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _catalog = new TenantCatalog(catalog);
        _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));
        _options = options;
        _time = time ?? throw new ArgumentNullException(nameof(time));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        _ttlTimestampUnits = (long)(options.CacheTtl.TotalSeconds * time.TimestampFrequency);
        _listener = new TenantChangeListener(catalog, options, time, logger, this);
    }

    /// <summary>Whether cached results may be served now (the change listener is subscribed).</summary>
    public bool IsListening => (Volatile.Read(ref _epoch) & 1) == 1;

    /// <summary>
    /// Starts the change listener (once) and waits for its first subscription attempt. When that fails the resolver
    /// still answers, from the catalog every time, while the listener keeps retrying in the background.
    /// </summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _listening, Task.CompletedTask, null) is null)
        {
            _listening = Task.Run(() => _listener.RunAsync(_lifetime.Token), CancellationToken.None);
        }

        return _listener.FirstAttempt.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// The connection for <paramref name="slug"/> (any case), or why there is none. An invalid slug is
    /// <see cref="ResolveResult.NotFound"/> without touching the catalog.
    /// </summary>
    /// <exception cref="TenantResolutionException">The catalog or the secret manager failed; no partial connection exists.</exception>
    public Task<ResolveResult> ResolveAsync(string slug, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slug);
        if (!TenantRegistration.IsValidSlug(slug))
        {
            return Task.FromResult<ResolveResult>(new ResolveResult.NotFound(slug));
        }

        while (true)
        {
            var epoch = Volatile.Read(ref _epoch);
            if (_entries.TryGetValue(slug, out var current) && current.IsUsable(epoch, _time.GetTimestamp()))
            {
                return current.Result.IsCompleted ? current.Result : current.Result.WaitAsync(cancellationToken);
            }

            // The entry is published before the catalog is read, so a notification for a commit the read might
            // not see always finds (and drops) it.
            var fresh = new Entry(epoch);
            if (current is null ? _entries.TryAdd(slug, fresh) : _entries.TryUpdate(slug, fresh, current))
            {
                _ = FillAsync(slug, fresh);
                return fresh.Result.WaitAsync(cancellationToken);
            }

            // Another caller replaced the entry between our look and our write: use theirs.
        }
    }

    /// <summary>Drops the cached result for <paramref name="slug"/>, e.g. after the database refused the password it held.</summary>
    public void Invalidate(string slug)
    {
        ArgumentNullException.ThrowIfNull(slug);
        _entries.TryRemove(slug, out _);
    }

    void ITenantChangeSink.ListenerUp() => MoveEpoch(toListening: true);

    void ITenantChangeSink.ListenerDown() => MoveEpoch(toListening: false);

    void ITenantChangeSink.TenantChanged(TenantChange change)
    {
        _entries.TryRemove(change.Slug, out _);
        ForgetSecret(change.Slug);
        if (change.OldSlug is { } oldSlug)
        {
            _entries.TryRemove(oldSlug, out _);
            ForgetSecret(oldSlug);
        }

        Log.Invalidated(_logger, change.Slug, change.Operation);
    }

    void ITenantChangeSink.EverythingChanged()
    {
        _entries.Clear();
        foreach (var slug in _secretRefs.Keys)
        {
            ForgetSecret(slug);
        }
    }

    /// <summary>Drops the password a caching secret store holds for the slug's secret (after a rotation elsewhere).</summary>
    private void ForgetSecret(string slug)
    {
        if (_secrets is ISecretCache cache && _secretRefs.TryGetValue(slug, out var reference))
        {
            cache.Invalidate(reference);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_lifetime.IsCancellationRequested)
        {
            return;
        }

        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (_listening is { } listening)
        {
            await listening.ConfigureAwait(false);
        }

        _lifetime.Dispose();
    }

    private void MoveEpoch(bool toListening)
    {
        while (true)
        {
            var epoch = Volatile.Read(ref _epoch);
            if (((epoch & 1) == 1) == toListening || Interlocked.CompareExchange(ref _epoch, epoch + 1, epoch) == epoch)
            {
                return;
            }
        }
    }

    // The fetch belongs to the cache, not to the first caller: one caller's cancellation must not fail the others
    // sharing it, so it runs under the resolver's lifetime and each caller waits with its own token.
    private async Task FillAsync(string slug, Entry entry)
    {
        try
        {
            var result = await FetchAsync(slug, _lifetime.Token).ConfigureAwait(false);
            entry.Complete(result, _time.GetTimestamp() + _ttlTimestampUnits);
            if (result is ResolveResult.NotFound)
            {
                // Unknown slugs are not kept: memory stays bounded by the number of live tenants whatever callers ask.
                _entries.TryRemove(new KeyValuePair<string, Entry>(slug, entry));
            }
        }
        catch (Exception e)
        {
            // Failures are not cached: the next resolve tries again.
            _entries.TryRemove(new KeyValuePair<string, Entry>(slug, entry));
            if (e is TenantResolutionException failure)
            {
                Log.ResolveFailed(_logger, slug, failure.Failure, failure.Message);
            }

            entry.Fail(e);
        }
    }

    private async Task<ResolveResult> FetchAsync(string slug, CancellationToken cancellationToken)
    {
        CatalogTenant? tenant;
        try
        {
            tenant = await _catalog.FindBySlugAsync(slug, cancellationToken).ConfigureAwait(false);
        }
        catch (NpgsqlException e)
        {
            throw new TenantResolutionException(slug, ResolutionFailure.Catalog,
                $"The catalog could not be read to resolve tenant '{slug}': {e.Message}", e.IsTransient, e);
        }

        if (tenant is null)
        {
            return new ResolveResult.NotFound(slug);
        }

        if (TenantStatusPolicy.Refusal(tenant, _options.MaintenanceRetryAfter) is { } refusal)
        {
            return refusal;
        }

        _secretRefs[tenant.Slug] = tenant.DbSecretRef;
        SecretValue password;
        try
        {
            password = await _secrets.ReadAsync(tenant.DbSecretRef, cancellationToken).ConfigureAwait(false);
        }
        catch (SecretStoreException e)
        {
            throw new TenantResolutionException(tenant.Slug, ResolutionFailure.Secret,
                $"The database password of tenant '{tenant.Slug}' could not be read from {tenant.DbSecretRef}: {e.Message}", e.IsTransient, e);
        }

        return new ResolveResult.Resolved(new TenantConnection(tenant.Id, tenant.Slug, tenant.DbHost, tenant.DbPort, tenant.DbName, tenant.DbUser, password,
            _options.TlsFor(tenant.DbHost, tenant.DbPort)));
    }

    private sealed class Entry(int epoch)
    {
        private readonly TaskCompletionSource<ResolveResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _expiresAt = long.MaxValue;

        public Task<ResolveResult> Result => _result.Task;

        public void Complete(ResolveResult result, long expiresAt)
        {
            // Expiry first, so no reader sees a completed entry without one.
            Volatile.Write(ref _expiresAt, expiresAt);
            _result.TrySetResult(result);
        }

        public void Fail(Exception exception) => _result.TrySetException(exception);

        /// <summary>In flight (shared by every caller), or completed in the current listening epoch and not expired.</summary>
        public bool IsUsable(int currentEpoch, long now) =>
            !Result.IsCompleted
            || (Result.IsCompletedSuccessfully && epoch == currentEpoch && (currentEpoch & 1) == 1 && now < Volatile.Read(ref _expiresAt));
    }
}
