using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Patching;

/// <summary>RFC 6902 JSON patch (add, remove, replace, move, copy, test) over RFC 6901 pointers.</summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode document, JsonNode? patch)
    {
        if (patch is not JsonArray operations)
        {
            throw StatusBody.BadRequest("json patch must be an array of operations");
        }

        foreach (var operation in operations.OfType<JsonObject>())
        {
            var op = (string?)operation["op"] ?? throw StatusBody.BadRequest("json patch operation without op");
            var path = (string?)operation["path"] ?? throw StatusBody.BadRequest($"json patch {op} without path");
            switch (op)
            {
                case "add":
                    document = Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    Remove(document, path);
                    document = Add(document, path, operation["value"]?.DeepClone());
                    break;
                case "move":
                    var moved = Get(document, From(operation, op));
                    Remove(document, From(operation, op));
                    document = Add(document, path, moved);
                    break;
                case "copy":
                    document = Add(document, path, Get(document, From(operation, op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), operation["value"]))
                    {
                        throw new ApiException(422, "Invalid", $"the server rejected our request due to an error in our request: testing value {path} failed");
                    }

                    break;
                default:
                    throw StatusBody.BadRequest($"unexpected json patch operation {op}");
            }
        }

        return document;
    }

    private static string From(JsonObject operation, string op) =>
        (string?)operation["from"] ?? throw StatusBody.BadRequest($"json patch {op} without from");

    private static JsonNode Add(JsonNode document, string path, JsonNode? value)
    {
        if (path.Length == 0)
        {
            return value ?? throw StatusBody.BadRequest("cannot replace the whole document with null");
        }

        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject obj:
                obj.Remove(last);
                obj[last] = value;
                break;
            case JsonArray array:
                if (last == "-")
                {
                    array.Add(value);
                }
                else
                {
                    var index = Index(last, array.Count + 1, path);
                    array.Insert(index, value);
                }

                break;
            default:
                throw Missing(path);
        }

        return document;
    }

    private static void Remove(JsonNode document, string path)
    {
        var (parent, last) = Parent(document, path);
        switch (parent)
        {
            case JsonObject obj when obj.ContainsKey(last):
                obj.Remove(last);
                break;
            case JsonArray array:
                array.RemoveAt(Index(last, array.Count, path));
                break;
            default:
                throw Missing(path);
        }
    }

    private static JsonNode? Get(JsonNode document, string path)
    {
        var current = document;
        foreach (var token in Tokens(path))
        {
            current = current switch
            {
                JsonObject obj when obj.TryGetPropertyValue(token, out var child) => child,
                JsonArray array => array[Index(token, array.Count, path)],
                _ => throw Missing(path),
            } ?? throw Missing(path);
        }

        return current;
    }

    private static (JsonNode? Parent, string Last) Parent(JsonNode document, string path)
    {
        var tokens = Tokens(path);
        var parentPath = string.Concat(tokens.SkipLast(1).Select(t => "/" + t.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
        return (Get(document, parentPath), tokens[^1]);
    }

    private static List<string> Tokens(string path)
    {
        if (path.Length == 0)
        {
            return [];
        }

        if (!path.StartsWith('/'))
        {
            throw StatusBody.BadRequest($"json patch path {path} must start with /");
        }

        return path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToList();
    }

    private static int Index(string token, int bound, string path) =>
        int.TryParse(token, NumberStyles.None, CultureInfo.InvariantCulture, out var index) && index < bound
            ? index
            : throw Missing(path);

    private static ApiException Missing(string path) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: doc is missing path: \"{path}\"");
}
