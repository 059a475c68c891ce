using System.Collections.Concurrent;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Resolver;

/// <summary>Which Tenant object owns a slug: what namespace grants are checked against.</summary>
internal interface ITenantDirectory
{
    /// <summary>False until the first complete list of Tenants is known; until then no namespace grant can be proved.</summary>
    bool IsReady { get; }

    /// <summary>The Tenants that own <paramref name="slug"/> (any case): usually one, none when no Tenant object describes it.</summary>
    IReadOnlyCollection<TenantPlacement> Find(string slug);
}

/// <summary>
/// The directory kept from the Tenant informer every replica runs, indexed by slug. Only Tenants with
/// <c>status.tenantId</c> count: the operator writes it once the Tenant holds the catalog row, and only the operator
/// writes status, so a Tenant created in a granted namespace with someone else's slug (refused as SlugConflict) never
/// makes that slug resolvable for its namespace.
/// </summary>
internal sealed class InformerTenantDirectory : ITenantDirectory
{
    private readonly Informer<Tenant> _informer;
    private readonly ConcurrentDictionary<ResourceKey, (string Slug, TenantPlacement Placement)> _byKey = new();
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<ResourceKey, TenantPlacement>> _bySlug = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public InformerTenantDirectory(Informer<Tenant> informer)
    {
        _informer = informer;
        informer.Changed += OnChanged;
        foreach (var key in informer.Cache.Keys)
        {
            OnChanged(key);
        }
    }

    public bool IsReady => _informer.HasSynced;

    public IReadOnlyCollection<TenantPlacement> Find(string slug) =>
        _bySlug.TryGetValue(slug, out var owners) ? [.. owners.Values] : [];

    private void OnChanged(ResourceKey key)
    {
        // Changes of one key arrive in order from one scope; the lock keeps the two indexes consistent with each other.
        lock (_gate)
        {
            if (_byKey.TryRemove(key, out var old) && _bySlug.TryGetValue(old.Slug, out var previous))
            {
                previous.TryRemove(key, out _);
            }

            if (_informer.Cache.Get(key) is not { } tenant || !Guid.TryParse(tenant.Status.TenantId, out var id))
            {
                return;
            }

            var slug = TenantSpecRules.EffectiveSlug(tenant);
            var placement = new TenantPlacement(
                tenant.Metadata.NamespaceProperty ?? "", tenant.Metadata.Name, id,
                tenant.Metadata.Labels is { } labels ? new Dictionary<string, string>(labels, StringComparer.Ordinal) : new Dictionary<string, string>());
            _byKey[key] = (slug, placement);
            _bySlug.GetOrAdd(slug, _ => new ConcurrentDictionary<ResourceKey, TenantPlacement>())[key] = placement;
        }
    }
}
