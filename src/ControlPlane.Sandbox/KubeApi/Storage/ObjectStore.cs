using System.Globalization;
using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Storage;

/// <summary>
/// All objects of the server, one cluster-wide resourceVersion counter and a bounded history of changes, guarded by one
/// lock so that a write, its history entry and its delivery to open watches happen atomically and in resourceVersion order.
/// With a <see cref="StoreFile"/> every committed write is saved before it is answered, so a restarted server (the sandbox)
/// serves the same objects at the same resourceVersions; the watch history starts empty, as after an etcd compaction.
/// A stored object is never modified: a write stores a fresh tree in its place, so watches and list pages may read stored
/// trees outside the lock (System.Text.Json nodes are safe to read concurrently).
/// </summary>
internal sealed class ObjectStore
{
    private readonly Lock _lock = new();

    // Sorted lists, not trees: a LIST page seeks its start by index. An insert moves the entries after it (at most a
    // 1.6 MB memmove at 100,000 objects, well under a millisecond), which this server's write rate never notices.
    private readonly Dictionary<string, SortedList<string, JsonObject>> _objects = new(StringComparer.Ordinal);
    private readonly LinkedList<WatchEvent> _history = new();
    private readonly List<Watcher> _watchers = [];
    private readonly int _historyLimit;
    private readonly StoreFile? _file;
    private long _resourceVersion;
    private long _compactedThrough;

    public ObjectStore(int historyLimit, StoreFile? file = null)
    {
        _historyLimit = historyLimit;
        _file = file;
        if (file?.Load() is { } saved)
        {
            foreach (var (storageKey, objects) in saved.Objects)
            {
                var bucket = Bucket(storageKey);
                foreach (var obj in objects)
                {
                    bucket[Key((string?)obj["metadata"]?["namespace"] ?? string.Empty, (string)obj["metadata"]!["name"]!)] = obj;
                }
            }

            _resourceVersion = saved.ResourceVersion;
            _compactedThrough = saved.ResourceVersion;
        }
    }

    public long CurrentResourceVersion
    {
        get
        {
            lock (_lock)
            {
                return _resourceVersion;
            }
        }
    }

    /// <summary>Changes up to this resourceVersion are no longer in the history: watches or continues from before it expire.</summary>
    public long CompactedThrough
    {
        get
        {
            lock (_lock)
            {
                return _compactedThrough;
            }
        }
    }

    public JsonObject? Get(string storageKey, string ns, string name)
    {
        lock (_lock)
        {
            return Bucket(storageKey).TryGetValue(Key(ns, name), out var obj) ? (JsonObject)obj.DeepClone() : null;
        }
    }

    /// <summary>Objects in (namespace, name) order, as etcd returns them, with the resourceVersion of the snapshot.</summary>
    public (List<JsonObject> Items, long ResourceVersion) List(string storageKey, string? ns)
    {
        lock (_lock)
        {
            var items = Bucket(storageKey).Values
                .Where(o => ns is null || (string?)o["metadata"]?["namespace"] == ns)
                .Select(o => (JsonObject)o.DeepClone())
                .ToList();
            return (items, _resourceVersion);
        }
    }

    /// <summary>
    /// One page of a LIST: the objects after <paramref name="startAfter"/> (a "namespace/name" key) that
    /// <paramref name="filter"/> accepts (all with none), at most <paramref name="limit"/>; whether another accepted object
    /// follows them; and how many objects of the scope follow them, filter not applied. The page starts by binary search,
    /// and the filter runs only up to the next accepted object after the page, so paging through N objects costs O(N) in
    /// all, not O(N²/limit) (an informer's first LIST of 100,000 Tenants spent most of its time re-reading the bucket).
    /// </summary>
    /// <remarks>
    /// The items are the stored objects themselves, not copies: callers render copies and must not modify them.
    /// <paramref name="filter"/> runs under the store's lock.
    /// </remarks>
    public (List<JsonObject> Items, bool More, int Following, long ResourceVersion) Page(
        string storageKey, string? ns, Func<JsonObject, bool>? filter, string? startAfter, int? limit)
    {
        lock (_lock)
        {
            var bucket = Bucket(storageKey);
            var (keys, objects) = (bucket.Keys, bucket.Values);

            // Keys are "namespace/name" in ordinal order and '0' follows '/', so one namespace's keys run from "ns/" up to "ns0".
            var (next, end) = ns is null ? (0, bucket.Count) : (Seek(keys, ns + "/", inclusive: true), Seek(keys, ns + "0", inclusive: true));
            if (startAfter is not null)
            {
                next = Math.Max(next, Seek(keys, startAfter, inclusive: false));
            }

            var items = new List<JsonObject>();
            for (; next < end && (limit is null || items.Count < limit); next++)
            {
                if (filter is null || filter(objects[next]))
                {
                    items.Add(objects[next]);
                }
            }

            var more = false;
            for (var i = next; i < end && !more; i++)
            {
                more = filter is null || filter(objects[i]);
            }

            return (items, more, end - next, _resourceVersion);
        }
    }

    /// <summary>
    /// Runs <paramref name="decide"/> on the current object under the lock and applies what it returns; with
    /// <paramref name="dryRun"/> nothing is stored and no resourceVersion is used: the would-be result is returned.
    /// </summary>
    public JsonObject Commit(string storageKey, string ns, string name, Func<JsonObject?, Mutation> decide, bool dryRun = false)
    {
        lock (_lock)
        {
            var bucket = Bucket(storageKey);
            var key = Key(ns, name);
            bucket.TryGetValue(key, out var current);
            var mutation = decide(current is null ? null : (JsonObject)current.DeepClone());
            if (dryRun)
            {
                return mutation switch
                {
                    Mutation.Put put => (JsonObject)put.Object.DeepClone(),
                    Mutation.Remove remove => (JsonObject)remove.FinalState.DeepClone(),
                    _ => (JsonObject)current!.DeepClone(),
                };
            }

            switch (mutation)
            {
                case Mutation.Put put:
                    var stored = Stamp(put.Object);
                    bucket[key] = stored;
                    Record(new WatchEvent(_resourceVersion, storageKey, ns, current is null ? "ADDED" : "MODIFIED", stored, current));
                    Save();
                    return (JsonObject)stored.DeepClone();
                case Mutation.Remove remove:
                    var final = Stamp(remove.FinalState);
                    bucket.Remove(key);
                    Record(new WatchEvent(_resourceVersion, storageKey, ns, "DELETED", final, current));
                    Save();
                    return (JsonObject)final.DeepClone();
                default:
                    return current is null
                        ? throw new InvalidOperationException("Keep decided for an object that does not exist")
                        : (JsonObject)current.DeepClone();
            }
        }
    }

    /// <summary>
    /// Opens a watch. Without a resourceVersion every current object arrives as ADDED; with one, the retained history after
    /// it is replayed. Returns null when that resourceVersion is older than the history: the caller answers 410 Expired.
    /// </summary>
    public Watcher? Watch(Watcher watcher, long? fromResourceVersion, out long compactedThrough)
    {
        lock (_lock)
        {
            compactedThrough = _compactedThrough;
            if (fromResourceVersion is { } from)
            {
                if (from < _compactedThrough)
                {
                    return null;
                }

                foreach (var change in _history.Where(e => e.ResourceVersion > from && e.StorageKey == watcher.StorageKey))
                {
                    watcher.Offer(change);
                }
            }
            else
            {
                foreach (var obj in Bucket(watcher.StorageKey).Values.Where(watcher.Sees))
                {
                    watcher.Enqueue(new WatchFrame("ADDED", obj));
                }
            }

            _watchers.Add(watcher);
            return watcher;
        }
    }

    public void Unwatch(Watcher watcher)
    {
        lock (_lock)
        {
            _watchers.Remove(watcher);
        }
    }

    /// <summary>Queues a BOOKMARK behind everything already queued, so its resourceVersion never skips an event.</summary>
    public void Bookmark(Watcher watcher, JsonObject bookmarkTemplate)
    {
        lock (_lock)
        {
            var metadata = (JsonObject)bookmarkTemplate["metadata"]!;
            metadata["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
            watcher.Enqueue(new WatchFrame("BOOKMARK", bookmarkTemplate));
        }
    }

    public void CompactHistory()
    {
        lock (_lock)
        {
            _history.Clear();
            _compactedThrough = _resourceVersion;
        }
    }

    public int DropWatches(bool abortConnections)
    {
        lock (_lock)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Drop(abortConnections);
            }

            var count = _watchers.Count;
            _watchers.Clear();
            return count;
        }
    }

    public int OpenWatches
    {
        get
        {
            lock (_lock)
            {
                return _watchers.Count;
            }
        }
    }

    private JsonObject Stamp(JsonObject written)
    {
        // Stored as re-parsed JSON: every number reads as long or double alike, and nothing outside holds a reference.
        var obj = JsonNode.Parse(written.ToJsonString())!.AsObject();
        _resourceVersion++;
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            obj["metadata"] = metadata;
        }

        metadata["resourceVersion"] = _resourceVersion.ToString(CultureInfo.InvariantCulture);
        return obj;
    }

    private void Record(WatchEvent change)
    {
        _history.AddLast(change);
        while (_history.Count > _historyLimit)
        {
            _compactedThrough = _history.First!.Value.ResourceVersion;
            _history.RemoveFirst();
        }

        foreach (var watcher in _watchers.Where(w => w.StorageKey == change.StorageKey))
        {
            watcher.Offer(change);
        }
    }

    /// <summary>Drops every object of a resource without events: for kinds rebuilt at start (CRDs come from config/crds).</summary>
    public void Forget(string storageKey)
    {
        lock (_lock)
        {
            _objects.Remove(storageKey);
        }
    }

    private void Save() => _file?.Save(_objects, _resourceVersion);

    private SortedList<string, JsonObject> Bucket(string storageKey)
    {
        if (!_objects.TryGetValue(storageKey, out var bucket))
        {
            bucket = new SortedList<string, JsonObject>(StringComparer.Ordinal);
            _objects[storageKey] = bucket;
        }

        return bucket;
    }

    private static string Key(string ns, string name) => ns + "/" + name;

    /// <summary>The index of the first key after <paramref name="key"/>, or at it when <paramref name="inclusive"/>.</summary>
    private static int Seek(IList<string> keys, string key, bool inclusive)
    {
        var (low, high) = (0, keys.Count);
        while (low < high)
        {
            var middle = (low + high) >>> 1;
            var order = string.CompareOrdinal(keys[middle], key);
            if (order < 0 || (order == 0 && !inclusive))
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
