using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Schema;

/// <summary>
/// Applies <c>default</c> values as kube-apiserver does: a null field that is not <c>nullable</c> and has no default is
/// dropped first (PruneNonNullableNullsWithoutDefaults); then a property that is absent (or null without <c>nullable</c>)
/// gets its default when its parent object exists; defaults are applied top-down so defaulted objects get their own defaults.
/// </summary>
internal static class SchemaDefaulter
{
    public static void Apply(JsonNode? node, JsonObject schema)
    {
        switch (node)
        {
            case JsonObject obj:
                DropNonNullableNulls(obj, schema);
                if (schema["properties"] is JsonObject properties)
                {
                    foreach (var (key, propertySchema) in properties)
                    {
                        if (propertySchema is not JsonObject ps || ps["default"] is not { } defaultValue)
                        {
                            continue;
                        }

                        var missing = !obj.TryGetPropertyValue(key, out var current) || (current is null && !SchemaKeywords.IsTrue(ps, "nullable"));
                        if (missing)
                        {
                            obj[key] = defaultValue.DeepClone();
                        }
                    }

                    foreach (var (key, value) in obj.ToList())
                    {
                        if (properties[key] is JsonObject ps)
                        {
                            Apply(value, ps);
                        }
                    }
                }

                if (schema["additionalProperties"] is JsonObject additional)
                {
                    foreach (var (_, value) in obj.ToList())
                    {
                        Apply(value, additional);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                foreach (var item in array)
                {
                    Apply(item, items);
                }

                break;
        }
    }

    private static void DropNonNullableNulls(JsonObject obj, JsonObject schema)
    {
        foreach (var (key, value) in obj.ToList())
        {
            var fieldSchema = schema["properties"]?[key] as JsonObject ?? schema["additionalProperties"] as JsonObject;
            if (value is null && fieldSchema is not null && !SchemaKeywords.IsTrue(fieldSchema, "nullable") && fieldSchema["default"] is null)
            {
                obj.Remove(key);
            }
        }
    }
}
