using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace ControlPlane.Operator.Tests.Deploy;

/// <summary>Writes a JSON value as a Lua table constructor, the shape Argo CD hands a health script as <c>obj</c>.</summary>
internal static class LuaTable
{
    public static string From(JsonNode? node) => node switch
    {
        null => "nil",
        JsonObject o => "{" + string.Join(", ", o.Select(p => $"[{Quote(p.Key)}] = {From(p.Value)}")) + "}",
        JsonArray a => "{" + string.Join(", ", a.Select(From)) + "}",
        JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
        JsonValue v when v.TryGetValue<string>(out var s) => Quote(s),
        _ => Convert.ToString(node.GetValue<double>(), CultureInfo.InvariantCulture),
    };

    private static string Quote(string s)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in s)
        {
            builder.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' => "\\n", _ => c.ToString() });
        }

        return builder.Append('"').ToString();
    }
}
