using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Schema;

/// <summary>Drops fields the structural schema does not specify, as kube-apiserver does before defaulting and validation.</summary>
internal static class SchemaPruner
{
    private static readonly HashSet<string> ObjectMetaFields =
    [
        "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
        "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields",
    ];

    /// <summary>Prunes a whole custom resource; apiVersion, kind and metadata are kept (metadata pruned to ObjectMeta).</summary>
    public static void PruneRoot(JsonObject obj, JsonObject schema)
    {
        if (obj["metadata"] is JsonObject metadata)
        {
            foreach (var key in metadata.Select(p => p.Key).Where(k => !ObjectMetaFields.Contains(k)).ToList())
            {
                metadata.Remove(key);
            }
        }

        PruneObject(obj, schema, isRoot: true);
    }

    private static void Prune(JsonNode? node, JsonObject schema)
    {
        if (SchemaKeywords.IsTrue(schema, "x-kubernetes-int-or-string"))
        {
            return;
        }

        switch (node)
        {
            case JsonObject obj:
                PruneObject(obj, schema, isRoot: SchemaKeywords.IsTrue(schema, "x-kubernetes-embedded-resource"));
                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    Prune(item, items);
                }

                break;
        }
    }

    private static void PruneObject(JsonObject obj, JsonObject schema, bool isRoot)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"] as JsonObject;
        var preserve = SchemaKeywords.IsTrue(schema, "x-kubernetes-preserve-unknown-fields");
        foreach (var (key, value) in obj.ToList())
        {
            if (isRoot && key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if (properties?[key] is JsonObject propertySchema)
            {
                Prune(value, propertySchema);
            }
            else if (additional is not null)
            {
                Prune(value, additional);
            }
            else if (!preserve)
            {
                obj.Remove(key);
            }
        }
    }
}
