using System.Collections.Concurrent;
using ControlPlane.Core.Caching;
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
    // Served only while the listener is subscribed: every subscribe and every loss moves the cache's generation, so
    // nothing fetched before a gap in notifications survives the gap.
    private readonly SingleFlightCache<string, ResolveResult> _cache;

    // The secret reference each slug was last resolved with, so a change notification can also drop the secret store's
    // cached password (a rotation writes the secret first and the catalog last). Bounded by the tenants this process resolved.
    private readonly ConcurrentDictionary<string, SecretReference> _secretRefs = new(StringComparer.OrdinalIgnoreCase);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly TenantCatalog _catalog;
    private readonly ISecretStore _secrets;
    private readonly TenantConnectionResolverOptions _options;
    private readonly ILogger _logger;
    private readonly TenantChangeListener _listener;
    private Task? _listening;

    public TenantConnectionResolver(
        NpgsqlDataSource catalog, ISecretStore secrets, TenantConnectionResolverOptions options, TimeProvider time, ILogger<TenantConnectionResolver> logger)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        options.Validate();
        _catalog = new TenantCatalog(catalog);
        _secrets = secrets ?? throw new ArgumentNullException(nameof(secrets));
        _options = options;
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
        // Slugs compare case-insensitively and are ASCII (validated first), so OrdinalIgnoreCase is exact and allocation-free.
        _cache = new SingleFlightCache<string, ResolveResult>(FetchLoggedAsync, new SingleFlightCachePolicy<ResolveResult>
        {
            TimeToLive = options.CacheTtl,
            // Unknown slugs are not kept: memory stays bounded by the number of live tenants whatever callers ask.
            Keeps = static result => result is not ResolveResult.NotFound,
            ServesFromStart = false,
        }, time, StringComparer.OrdinalIgnoreCase);
        _listener = new TenantChangeListener(catalog, options, time, logger, this);
    }

    /// <summary>Whether cached results may be served now (the change listener is subscribed).</summary>
    public bool IsListening => _cache.IsServing;

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

        // The cache publishes the entry before the catalog is read, so a notification for a commit the read might not
        // see always finds (and drops) it.
        return _cache.GetAsync(slug, cancellationToken);
    }

    /// <summary>Drops the cached result for <paramref name="slug"/>, e.g. after the database refused the password it held.</summary>
    public void Invalidate(string slug)
    {
        ArgumentNullException.ThrowIfNull(slug);
        _cache.Invalidate(slug);
    }

    void ITenantChangeSink.ListenerUp() => _cache.ResumeServing();

    void ITenantChangeSink.ListenerDown() => _cache.SuspendServing();

    void ITenantChangeSink.TenantChanged(TenantChange change)
    {
        _cache.Invalidate(change.Slug);
        ForgetSecret(change.Slug);
        if (change.OldSlug is { } oldSlug)
        {
            _cache.Invalidate(oldSlug);
            ForgetSecret(oldSlug);
        }

        Log.Invalidated(_logger, change.Slug, change.Operation);
    }

    void ITenantChangeSink.EverythingChanged()
    {
        _cache.Clear();
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
        _cache.Dispose();
        if (_listening is { } listening)
        {
            await listening.ConfigureAwait(false);
        }

        _lifetime.Dispose();
    }

    private async Task<ResolveResult> FetchLoggedAsync(string slug, CancellationToken cancellationToken)
    {
        try
        {
            return await FetchAsync(slug, cancellationToken).ConfigureAwait(false);
        }
        catch (TenantResolutionException failure)
        {
            Log.ResolveFailed(_logger, slug, failure.Failure, failure.Message);
            throw;
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
}
