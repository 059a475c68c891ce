using System.Collections.Immutable;
using ControlPlane.Core.Configuration;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// The tenant database servers by name, changing at runtime (issue 17): the bootstrap servers of the operator's
/// configuration (<c>Operator__TenantDatabaseServers__&lt;name&gt;__*</c>, fixed for the process) and the
/// <c>TenantDatabaseServer</c> resources, which their reconciler registers, updates and removes. A bootstrap server keeps
/// its name: a resource of the same name is not registered (ADR-CP-010). Readers get a consistent snapshot per call.
/// </summary>
public sealed class TenantDatabaseServers : IAsyncDisposable
{
    /// <summary>The bootstrap server a Tenant is placed on while no TenantDatabaseServer resource exists (ADR-CP-010).</summary>
    public const string BootstrapDefault = "default";

    private readonly ISecretStore _secrets;
    private readonly Lock _lock = new();

    // Replaced servers are kept open until the registry is disposed: a reconcile may still hold the old one mid-operation.
    private readonly List<TenantDatabaseServer> _retired = [];
    private ImmutableDictionary<string, Entry> _servers;

    public TenantDatabaseServers(IReadOnlyDictionary<string, TenantDatabaseServerOptions> servers, ISecretStore secrets)
    {
        ArgumentNullException.ThrowIfNull(servers);
        _secrets = secrets;
        _servers = servers.ToImmutableDictionary(
            pair => pair.Key,
            pair => new Entry(new TenantDatabaseServer(pair.Key, pair.Value, secrets), pair.Value, Bootstrap: true, ServerPlacementProfile.Bootstrap),
            StringComparer.Ordinal);
    }

    /// <summary>
    /// The stage whose TLS rules a resource's server follows (as the host's options loader applies them to the
    /// bootstrap servers); production's strict rules unless the host says otherwise.
    /// </summary>
    public DeploymentEnvironment Environment { get; init; } = DeploymentEnvironment.Prod;

    public IReadOnlyCollection<string> Names => [.. _servers.Keys];

    /// <summary>Every registered server, from one snapshot (iterating <see cref="Names"/> and calling <see cref="Get"/> races an unregistration).</summary>
    public IReadOnlyList<TenantDatabaseServer> All => [.. _servers.Values.Select(e => e.Server)];

    /// <summary>The server; names were validated against the registry before provisioning starts.</summary>
    public TenantDatabaseServer Get(string name) =>
        _servers.TryGetValue(name, out var entry) ? entry.Server : throw new KeyNotFoundException($"Tenant database server '{name}' is not configured.");

    public bool Contains(string name) => _servers.ContainsKey(name);

    /// <summary>Whether the operator's configuration (not a resource) defines the server.</summary>
    public bool IsBootstrap(string name) => _servers.TryGetValue(name, out var entry) && entry.Bootstrap;

    /// <summary>Every server with what placement needs to know of it, in name order.</summary>
    public IReadOnlyList<(TenantDatabaseServer Server, bool Bootstrap, ServerPlacementProfile Profile)> Snapshot() =>
        [.. _servers.Values.OrderBy(e => e.Server.Name, StringComparer.Ordinal).Select(e => (e.Server, e.Bootstrap, e.Profile))];

    /// <summary>
    /// Registers or updates the server a resource describes. A changed connection (host, port, user, secret, TLS,
    /// limits) gets a new admin pool and starts not ready until probed; an unchanged one keeps its pool and readiness.
    /// False when a bootstrap server holds the name.
    /// </summary>
    public bool Register(string name, TenantDatabaseServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        lock (_lock)
        {
            if (_servers.TryGetValue(name, out var current))
            {
                if (current.Bootstrap)
                {
                    return false;
                }

                if (SameConnection(current.Options, options))
                {
                    return true;
                }

                _retired.Add(current.Server);
            }

            var profile = (current?.Profile ?? ServerPlacementProfile.Unprobed) with { Ready = false };
            _servers = _servers.SetItem(name, new Entry(new TenantDatabaseServer(name, options, _secrets), options, Bootstrap: false, profile));
            return true;
        }
    }

    /// <summary>Sets what placement knows of a resource's server (readiness from its last probe, draining, capacity, labels).</summary>
    public void Describe(string name, ServerPlacementProfile profile)
    {
        lock (_lock)
        {
            if (_servers.TryGetValue(name, out var current) && !current.Bootstrap)
            {
                _servers = _servers.SetItem(name, current with { Profile = profile });
            }
        }
    }

    /// <summary>Removes a resource's server (never a bootstrap one); its pool closes with the registry.</summary>
    public void Unregister(string name)
    {
        lock (_lock)
        {
            if (_servers.TryGetValue(name, out var current) && !current.Bootstrap)
            {
                _retired.Add(current.Server);
                _servers = _servers.Remove(name);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<TenantDatabaseServer> all;
        lock (_lock)
        {
            all = [.. _servers.Values.Select(e => e.Server), .. _retired];
            _servers = _servers.Clear();
            _retired.Clear();
        }

        foreach (var server in all)
        {
            await server.DisposeAsync();
        }
    }

    private static bool SameConnection(TenantDatabaseServerOptions a, TenantDatabaseServerOptions b) =>
        a.Host == b.Host && a.Port == b.Port && a.AdminUser == b.AdminUser && a.AdminSecretRef == b.AdminSecretRef
        && a.SslMode == b.SslMode && a.RootCertificate == b.RootCertificate && a.MaxConcurrentOperations == b.MaxConcurrentOperations;

    private sealed record Entry(TenantDatabaseServer Server, TenantDatabaseServerOptions Options, bool Bootstrap, ServerPlacementProfile Profile);
}

/// <summary>What placement knows of a server besides its load.</summary>
/// <param name="Ready">Reachable with the admin privileges verified on the last probe (bootstrap servers: always).</param>
/// <param name="Draining">Takes no new tenants.</param>
/// <param name="MaxTenants">Capacity in live tenants; null is unlimited.</param>
/// <param name="Labels">The resource's labels, matched by <c>spec.database.serverSelector</c>.</param>
public sealed record ServerPlacementProfile(bool Ready, bool Draining, int? MaxTenants, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>A bootstrap server: configured by hand, trusted as ready, no capacity, no labels.</summary>
    public static ServerPlacementProfile Bootstrap { get; } = new(true, false, null, ImmutableDictionary<string, string>.Empty);

    public static ServerPlacementProfile Unprobed { get; } = new(false, false, null, ImmutableDictionary<string, string>.Empty);
}
