using ControlPlane.Store.Connection;

namespace ControlPlane.Client;

/// <summary>Settings of <see cref="TenantConnectionResolver"/>; environment variables in docs/resolver.md.</summary>
public sealed class TenantConnectionResolverOptions
{
    /// <summary>
    /// How long a result is served from memory while the change listener is up (<c>RESOLVER_CACHE_TTL_SECONDS</c>,
    /// default 10 s). Notifications invalidate at once; the TTL bounds staleness if one is ever missed. Zero disables the cache.
    /// </summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The Retry-After given with <see cref="ResolveResult.Maintenance"/> (<c>RESOLVER_MAINTENANCE_RETRY_AFTER_SECONDS</c>, default 30 s).</summary>
    public TimeSpan MaintenanceRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the listener waits for a notification before it checks its connection with a round trip (default 5 s).</summary>
    public TimeSpan ListenerHeartbeat { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>First delay before the listener reconnects; doubles on each failure up to <see cref="ReconnectMaxDelay"/>.</summary>
    public TimeSpan ReconnectMinDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan ReconnectMaxDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// TLS settings of the tenant database servers by <c>host:port</c> (as the catalog records them): a resolved
    /// connection to a server listed here carries its mode and CA bundle. The operator fills it from its configured
    /// servers; an application using this library in-process sets the same values.
    /// </summary>
    public IReadOnlyDictionary<string, DatabaseTls> ServerTls { get; set; } = new Dictionary<string, DatabaseTls>();

    /// <summary>The TLS settings for a server address, or null.</summary>
    public DatabaseTls? TlsFor(string host, int port) =>
        ServerTls.TryGetValue(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{host}:{port}"), out var tls) ? tls : null;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        if (CacheTtl < TimeSpan.Zero || CacheTtl > TimeSpan.FromMinutes(5))
        {
            throw new ArgumentException("The resolver cache TTL must be between 0 and 300 seconds.", nameof(CacheTtl));
        }

        if (MaintenanceRetryAfter < TimeSpan.FromSeconds(1))
        {
            throw new ArgumentException("The maintenance Retry-After must be at least one second.", nameof(MaintenanceRetryAfter));
        }

        if (ListenerHeartbeat <= TimeSpan.Zero || ReconnectMinDelay <= TimeSpan.Zero || ReconnectMaxDelay < ReconnectMinDelay)
        {
            throw new ArgumentException("Listener heartbeat and reconnect delays must be positive, with the maximum delay not below the minimum.");
        }
    }
}
