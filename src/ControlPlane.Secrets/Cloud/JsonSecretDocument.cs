using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Cloud;

/// <summary>
/// The value of a cloud secret the grammar points into: a JSON object whose keys are the <c>#key</c> of
/// references (<c>{"password":"…"}</c>), the shape the AWS console writes for key/value secrets.
/// </summary>
public static class JsonSecretDocument
{
    public static Dictionary<string, string> Parse(string text, SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            // The parser's message may quote the text, which is a secret: keep only the position.
            throw new SecretStoreException(
                $"The secret behind {reference} is not a JSON object of string keys (invalid JSON at byte {e.BytePositionInLine}); store {{\"{reference.Key}\":\"…\"}}.", reference);
        }

        if (node is not JsonObject map)
        {
            throw new SecretStoreException($"The secret behind {reference} is not a JSON object of string keys; store {{\"{reference.Key}\":\"…\"}}.", reference);
        }

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            data[key] = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString() ?? "";
        }

        return data;
    }

    public static string Serialize(IReadOnlyDictionary<string, string> data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var map = new JsonObject();
        foreach (var (key, value) in data.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            map[key] = value;
        }

        return map.ToJsonString();
    }
}
