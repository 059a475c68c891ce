using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Storage;

/// <summary>
/// The sandbox's etcd: every object and the resourceVersion counter in one JSON file, replaced atomically (write a
/// temporary file, then rename) so a crash leaves either the old or the new state, never half of one.
/// </summary>
internal sealed class StoreFile(string path)
{
    public sealed record Snapshot(long ResourceVersion, IReadOnlyDictionary<string, List<JsonObject>> Objects);

    public Snapshot? Load()
    {
        if (!File.Exists(path))
        {
            return null;
        }

        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var objects = new Dictionary<string, List<JsonObject>>(StringComparer.Ordinal);
        foreach (var (storageKey, items) in root["objects"]!.AsObject())
        {
            objects[storageKey] = items!.AsArray().Select(i => i!.AsObject().DeepClone().AsObject()).ToList();
        }

        return new Snapshot((long)root["resourceVersion"]!, objects);
    }

    public void Save(IReadOnlyDictionary<string, SortedList<string, JsonObject>> buckets, long resourceVersion)
    {
        var objects = new JsonObject();
        foreach (var (storageKey, bucket) in buckets.Where(b => b.Value.Count > 0))
        {
            objects[storageKey] = new JsonArray(bucket.Values.Select(o => (JsonNode)o.DeepClone()).ToArray());
        }

        var root = new JsonObject { ["resourceVersion"] = resourceVersion, ["objects"] = objects };
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, root.ToJsonString());
        File.Move(temporary, path, overwrite: true);
    }
}
