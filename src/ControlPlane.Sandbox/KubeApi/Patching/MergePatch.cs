using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Patching;

/// <summary>RFC 7386 JSON merge patch: objects merge key by key, null removes a key, anything else replaces.</summary>
internal static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }

        var result = target as JsonObject ?? [];
        foreach (var (key, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(key);
                continue;
            }

            result.TryGetPropertyValue(key, out var existing);
            result.Remove(key);
            result[key] = Apply(existing, value);
        }

        return result;
    }

    /// <summary>
    /// Strategic merge patches on built-in kinds are applied as merge patches: exact for the maps and scalars of Secrets,
    /// Leases, Events and Namespaces. Their <c>$patch</c>, <c>$setElementOrder/…</c> and <c>$retainKeys</c> directives
    /// (which kubectl apply sends) are dropped so they are never stored.
    /// </summary>
    public static JsonNode? WithoutDirectives(JsonNode? patch)
    {
        if (patch is not JsonObject obj)
        {
            return patch;
        }

        var copy = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (!key.StartsWith('$'))
            {
                copy[key] = WithoutDirectives(value?.DeepClone());
            }
        }

        return copy;
    }
}
