using ControlPlane.Operator.Provisioning;
using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Controllers;

/// <summary>One server as placement sees it: its profile and the live tenants on it (catalog plus pending placements).</summary>
public sealed record PlacementCandidate(string Name, bool Bootstrap, ServerPlacementProfile Profile, int Tenants);

/// <summary>The planner's answer: a server, or why none takes the tenant.</summary>
public abstract record PlacementDecision
{
    private PlacementDecision()
    {
    }

    public sealed record Placed(string Server) : PlacementDecision;

    /// <summary>Every server and why it was passed over, for the Tenant's Ready condition.</summary>
    public sealed record NoServer(string Message) : PlacementDecision;
}

/// <summary>
/// Placement of a Tenant without <c>spec.database.server</c> (issue 17, ADR-CP-010). Pure: among the
/// TenantDatabaseServer resources, those ready, not draining, matching the selector and below <c>maxTenants</c>; the
/// least loaded by live tenants; ties broken by name (ordinal), so the same inputs always give the same server. While
/// no resource exists at all, the bootstrap server <c>default</c> takes the tenant, as before placement existed.
/// </summary>
public static class ServerPlacement
{
    public static PlacementDecision Choose(IReadOnlyList<PlacementCandidate> servers, IReadOnlyDictionary<string, string>? selector)
    {
        ArgumentNullException.ThrowIfNull(servers);
        var fleet = servers.Where(s => !s.Bootstrap).ToList();
        if (fleet.Count == 0)
        {
            var bootstrap = servers.FirstOrDefault(s => s.Name == TenantDatabaseServers.BootstrapDefault);
            if (bootstrap is null)
            {
                return new PlacementDecision.NoServer("No tenant database server exists: apply a TenantDatabaseServer (or set spec.database.server).");
            }

            return Matches(bootstrap, selector)
                ? new PlacementDecision.Placed(bootstrap.Name)
                : new PlacementDecision.NoServer("No TenantDatabaseServer exists, and the bootstrap server 'default' has no labels to match spec.database.serverSelector.");
        }

        var chosen = fleet.Where(s => Excluded(s, selector) is null)
            .OrderBy(s => s.Tenants)
            .ThenBy(s => s.Name, StringComparer.Ordinal)
            .FirstOrDefault();
        return chosen is not null
            ? new PlacementDecision.Placed(chosen.Name)
            : new PlacementDecision.NoServer("No tenant database server takes new tenants: "
                + string.Join("; ", fleet.OrderBy(s => s.Name, StringComparer.Ordinal).Select(s => $"{s.Name} {Excluded(s, selector)}")) + ".");
    }

    /// <summary>
    /// Live tenants per candidate: rows naming the server, rows of the previous release (no name yet) at its host and
    /// port, and the placements held in memory (not yet in the catalog).
    /// </summary>
    public static IReadOnlyList<PlacementCandidate> Candidates(
        IEnumerable<(TenantDatabaseServer Server, bool Bootstrap, ServerPlacementProfile Profile)> servers,
        IReadOnlyList<ServerLoad> catalog,
        IEnumerable<string> pending)
    {
        ArgumentNullException.ThrowIfNull(servers);
        ArgumentNullException.ThrowIfNull(catalog);
        var held = pending.GroupBy(s => s, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

        // Indexed once, so a fleet of S servers costs O(S) rather than a scan of the catalog's entries per server.
        var byName = catalog.Where(l => l.Server is not null)
            .GroupBy(l => l.Server!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(l => l.Tenants), StringComparer.Ordinal);
        var byAddress = catalog.Where(l => l.Server is null)
            .GroupBy(l => (Host: l.Host.ToUpperInvariant(), l.Port))
            .ToDictionary(g => g.Key, g => g.Sum(l => l.Tenants));
        return [.. servers.Select(s => new PlacementCandidate(
            s.Server.Name,
            s.Bootstrap,
            s.Profile,
            byName.GetValueOrDefault(s.Server.Name)
            + byAddress.GetValueOrDefault((s.Server.Host.ToUpperInvariant(), s.Server.Port))
            + held.GetValueOrDefault(s.Server.Name)))];
    }

    /// <summary>Live tenants the catalog records on one server (by name, or by address for rows not yet backfilled).</summary>
    public static int TenantsOn(string name, string host, int port, IReadOnlyList<ServerLoad> catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        return catalog.Where(l => l.Server == name
                                  || (l.Server is null && string.Equals(l.Host, host, StringComparison.OrdinalIgnoreCase) && l.Port == port))
            .Sum(l => l.Tenants);
    }

    /// <summary>Null when the server takes the tenant; else why not, in words for the Tenant's condition.</summary>
    private static string? Excluded(PlacementCandidate server, IReadOnlyDictionary<string, string>? selector)
    {
        if (!server.Profile.Ready)
        {
            return "is not ready";
        }

        if (server.Profile.Draining)
        {
            return "is draining";
        }

        if (!Matches(server, selector))
        {
            return "does not match spec.database.serverSelector";
        }

        return server.Profile.MaxTenants is { } max && server.Tenants >= max ? $"is full ({server.Tenants}/{max} tenants)" : null;
    }

    private static bool Matches(PlacementCandidate server, IReadOnlyDictionary<string, string>? selector) =>
        selector is null || selector.All(pair => server.Profile.Labels.TryGetValue(pair.Key, out var value) && value == pair.Value);
}
