using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>The informer's view of the world: the latest object seen per key. Readers get snapshots, never locks.</summary>
public sealed class ResourceCache<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<ResourceKey, T> _items = new();

    public int Count => _items.Count;

    public T? Get(ResourceKey key) => _items.TryGetValue(key, out var item) ? item : null;

    public IReadOnlyCollection<ResourceKey> Keys => [.. _items.Keys];

    public IReadOnlyCollection<T> Items => [.. _items.Values];

    internal void Upsert(T item) => _items[ResourceKey.Of(item)] = item;

    internal bool Remove(ResourceKey key) => _items.TryRemove(key, out _);

    /// <summary>Keys of a scope (one namespace, or all when null) that are not in <paramref name="present"/>.</summary>
    internal List<ResourceKey> Missing(string? @namespace, HashSet<ResourceKey> present) =>
        [.. _items.Keys.Where(k => (@namespace is null || k.Namespace == @namespace) && !present.Contains(k))];
}
