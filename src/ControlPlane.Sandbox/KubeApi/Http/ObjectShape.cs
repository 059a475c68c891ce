using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>Helpers on the shape of stored objects: metadata access, rendering in a requested version, timestamps.</summary>
internal static class ObjectShape
{
    public static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is not JsonObject metadata)
        {
            metadata = [];
            obj["metadata"] = metadata;
        }

        return metadata;
    }

    public static string? ResourceVersion(JsonObject obj) => (string?)obj["metadata"]?["resourceVersion"];

    public static List<string> Finalizers(JsonObject obj) =>
        (obj["metadata"]?["finalizers"] as JsonArray ?? []).Select(f => (string?)f).OfType<string>().ToList();

    /// <summary>A copy of a stored object with apiVersion and kind of the requested version first, as the apiserver writes them.</summary>
    public static JsonObject Render(JsonObject stored, ResourceType type, string version)
    {
        var rendered = new JsonObject
        {
            ["apiVersion"] = type.ApiVersion(version),
            ["kind"] = type.Kind,
        };
        foreach (var (key, value) in stored)
        {
            if (key is not ("apiVersion" or "kind"))
            {
                rendered[key] = value?.DeepClone();
            }
        }

        return rendered;
    }

    /// <summary>Everything but metadata (and status, with a status subresource): what a generation counts changes of.</summary>
    public static JsonObject Content(JsonObject obj, bool ignoreStatus)
    {
        var content = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is "metadata" or "apiVersion" or "kind" || (ignoreStatus && key == "status"))
            {
                continue;
            }

            content[key] = value?.DeepClone();
        }

        return content;
    }

    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
