using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Placements chosen but not yet in the catalog, one process-wide instance (in <see cref="TenantLifecycle"/>). Choosing
/// is serialized, and each choice counts the placements still pending, so concurrent workers placing tenants at once
/// see each other's choices and spread them as one would (30 tenants on three empty servers: 10/10/10). A pending
/// placement ends when its row is registered (the catalog then counts it) or its Tenant is deleted.
/// </summary>
public sealed class TenantPlacements
{
    private readonly SemaphoreSlim _choosing = new(1, 1);
    private readonly Dictionary<(string Namespace, string Name), string> _pending = [];
    private readonly Lock _lock = new();

    /// <summary>The server held for this Tenant since an earlier reconcile (status lost before registration); null if none.</summary>
    public string? Pending(TenantOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_lock)
        {
            return _pending.GetValueOrDefault((owner.Namespace, owner.Name));
        }
    }

    /// <summary>
    /// Runs <paramref name="plan"/> alone, giving it the pending placements (owners to leave out of the catalog's counts,
    /// and their servers to count instead); a <see cref="PlacementDecision.Placed"/> becomes pending for <paramref name="owner"/>.
    /// </summary>
    public async Task<PlacementDecision> ChooseAsync(
        TenantOwner owner,
        Func<IReadOnlyCollection<TenantOwner>, IReadOnlyCollection<string>, Task<PlacementDecision>> plan,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(plan);
        await _choosing.WaitAsync(cancellationToken);
        try
        {
            List<TenantOwner> owners;
            List<string> servers;
            lock (_lock)
            {
                owners = [.. _pending.Keys.Select(k => new TenantOwner(k.Namespace, k.Name, null))];
                servers = [.. _pending.Values];
            }

            var decision = await plan(owners, servers);
            if (decision is PlacementDecision.Placed placed)
            {
                lock (_lock)
                {
                    _pending[(owner.Namespace, owner.Name)] = placed.Server;
                }
            }

            return decision;
        }
        finally
        {
            _choosing.Release();
        }
    }

    /// <summary>Placements pending on <paramref name="server"/> (a server being deleted waits for them too).</summary>
    public int PendingOn(string server)
    {
        lock (_lock)
        {
            return _pending.Values.Count(s => s == server);
        }
    }

    /// <summary>The placement is in the catalog now (or its Tenant is gone): it no longer needs holding.</summary>
    public void Release(TenantOwner owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_lock)
        {
            _pending.Remove((owner.Namespace, owner.Name));
        }
    }
}
