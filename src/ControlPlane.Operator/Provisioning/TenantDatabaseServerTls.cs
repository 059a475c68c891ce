using ControlPlane.Core.Configuration;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// TLS to the tenant database servers, kept apart from the rest of the connection settings: the admin pool, the
/// migration connections and the DSN the resolver returns all take it from here, so they connect the same way.
/// </summary>
public static class TenantDatabaseServerTls
{
    /// <summary>The server's TLS settings (validated at start by the host's options loader); null when it names none (dev).</summary>
    public static DatabaseTls? From(TenantDatabaseServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.SslMode))
        {
            return null;
        }

        return DatabaseTls.TryParse(options.SslMode, out var mode)
            ? new DatabaseTls(mode, string.IsNullOrWhiteSpace(options.RootCertificate) ? null : options.RootCertificate)
            : throw new ConfigurationException($"SslMode '{options.SslMode}' of a tenant database server is not a TLS mode.");
    }

    public static Npgsql.NpgsqlConnectionStringBuilder Apply(DatabaseTls? tls, Npgsql.NpgsqlConnectionStringBuilder builder) =>
        tls?.ApplyTo(builder) ?? builder;

    /// <summary>
    /// The TLS settings by <c>host:port</c>, for the resolver: the catalog records where a tenant's database lives, and the
    /// server at that address says how to reach it.
    /// </summary>
    public static Dictionary<string, DatabaseTls> ByAddress(IReadOnlyDictionary<string, TenantDatabaseServerOptions> servers)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var map = new Dictionary<string, DatabaseTls>(StringComparer.OrdinalIgnoreCase);
        foreach (var server in servers.Values)
        {
            if (From(server) is { } tls)
            {
                map[$"{server.Host}:{server.Port}"] = tls;
            }
        }

        return map;
    }
}
