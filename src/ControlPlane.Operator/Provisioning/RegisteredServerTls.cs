using System.Collections;
using System.Diagnostics.CodeAnalysis;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// The resolver's TLS settings by <c>host:port</c>, read from the server registry at each lookup, so the DSN of a tenant
/// on a <c>TenantDatabaseServer</c> resource (registered at runtime) carries that server's <c>sslmode</c> as the
/// bootstrap servers' do. Until the registry exists (the host is still starting) the bootstrap servers answer.
/// </summary>
public sealed class RegisteredServerTls(Func<TenantDatabaseServers?> registry, IReadOnlyDictionary<string, DatabaseTls> bootstrap)
    : IReadOnlyDictionary<string, DatabaseTls>
{
    public int Count => Current().Count;

    public IEnumerable<string> Keys => Current().Keys;

    public IEnumerable<DatabaseTls> Values => Current().Values;

    public DatabaseTls this[string key] => TryGetValue(key, out var tls) ? tls : throw new KeyNotFoundException(key);

    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>The resolver's only call, once per resolution: a walk over the few servers, no map built.</summary>
    public bool TryGetValue(string key, [MaybeNullWhen(false)] out DatabaseTls value)
    {
        if (registry() is not { } servers)
        {
            return bootstrap.TryGetValue(key, out value);
        }

        value = servers.All.FirstOrDefault(s => s.Tls is not null && string.Equals($"{s.Host}:{s.Port}", key, StringComparison.OrdinalIgnoreCase))?.Tls;
        return value is not null;
    }

    public IEnumerator<KeyValuePair<string, DatabaseTls>> GetEnumerator() => Current().GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private IReadOnlyDictionary<string, DatabaseTls> Current()
    {
        if (registry() is not { } servers)
        {
            return bootstrap;
        }

        var map = new Dictionary<string, DatabaseTls>(StringComparer.OrdinalIgnoreCase);
        foreach (var server in servers.All)
        {
            if (server.Tls is { } tls)
            {
                map[$"{server.Host}:{server.Port}"] = tls;
            }
        }

        return map;
    }
}
