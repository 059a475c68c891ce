using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Schema;

/// <summary>Small readers for OpenAPI v3 schema keywords.</summary>
internal static class SchemaKeywords
{
    public static bool IsTrue(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.GetValueKind() == JsonValueKind.True;

    public static double? Number(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<double>() : null;

    public static string? Text(JsonObject schema, string keyword) =>
        schema[keyword] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    public static string Child(string path, string key) => path.Length == 0 ? key : $"{path}.{key}";
}
