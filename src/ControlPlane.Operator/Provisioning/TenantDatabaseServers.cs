using ControlPlane.Operator.Hosting;
using ControlPlane.Secrets;

namespace ControlPlane.Operator.Provisioning;

/// <summary>The configured tenant database servers by name (<c>default</c> at least), created once per process.</summary>
public sealed class TenantDatabaseServers : IAsyncDisposable
{
    private readonly Dictionary<string, TenantDatabaseServer> _servers;

    public TenantDatabaseServers(IReadOnlyDictionary<string, TenantDatabaseServerOptions> servers, ISecretStore secrets)
    {
        ArgumentNullException.ThrowIfNull(servers);
        _servers = servers.ToDictionary(pair => pair.Key, pair => new TenantDatabaseServer(pair.Key, pair.Value, secrets), StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Names => _servers.Keys;

    /// <summary>The server; names were validated against the configuration before provisioning starts.</summary>
    public TenantDatabaseServer Get(string name) =>
        _servers.TryGetValue(name, out var server) ? server : throw new KeyNotFoundException($"Tenant database server '{name}' is not configured.");

    public async ValueTask DisposeAsync()
    {
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }
    }
}
