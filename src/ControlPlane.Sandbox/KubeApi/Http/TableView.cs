using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// The <c>meta.k8s.io/v1 Table</c> kubectl asks for (<c>Accept: application/json;as=Table;g=meta.k8s.io;v=v1</c>) for custom
/// resources: Name, then the version's additionalPrinterColumns (or Age when it has none), evaluated with simple JSONPath
/// (<c>.a.b</c>, <c>[n]</c>, <c>[?(@.field=="value")]</c>). Date columns are rendered as ages, as kube-apiserver does.
/// </summary>
internal static class TableView
{
    public static bool Requested(string? accept) =>
        accept is not null && accept.Split(',')[0].Contains("as=Table", StringComparison.Ordinal);

    public static JsonObject Build(ResourceType type, string version, IReadOnlyList<JsonObject> objects, JsonObject listMetadata, string? includeObject, DateTimeOffset now)
    {
        var columns = type.FindVersion(version)?.PrinterColumns is { Count: > 0 } printer
            ? printer
            : [new PrinterColumn("Age", "date", ".metadata.creationTimestamp", 0, "creation time")];
        var definitions = new JsonArray(new JsonObject
        {
            ["name"] = "Name",
            ["type"] = "string",
            ["format"] = "name",
            ["description"] = "Name must be unique within a namespace.",
            ["priority"] = 0,
        });
        foreach (var column in columns)
        {
            definitions.Add(new JsonObject
            {
                ["name"] = column.Name,
                ["type"] = column.Type,
                ["format"] = string.Empty,
                ["description"] = column.Description,
                ["priority"] = column.Priority,
            });
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray((JsonNode?)(string?)obj["metadata"]?["name"]);
            foreach (var column in columns)
            {
                cells.Add(Cell(column, Evaluate(obj, column.JsonPath), now));
            }

            var row = new JsonObject { ["cells"] = cells };
            if (includeObject != "None")
            {
                row["object"] = includeObject == "Object"
                    ? obj.DeepClone()
                    : new JsonObject { ["kind"] = "PartialObjectMetadata", ["apiVersion"] = "meta.k8s.io/v1", ["metadata"] = obj["metadata"]?.DeepClone() };
            }

            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMetadata.DeepClone(),
            ["columnDefinitions"] = definitions,
            ["rows"] = rows,
        };
    }

    private static JsonNode? Cell(PrinterColumn column, JsonNode? value, DateTimeOffset now)
    {
        if (value is null)
        {
            return null;
        }

        if (column.Type == "date" && DateTimeOffset.TryParse(value.ToString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return Age(now - time);
        }

        return value.DeepClone();
    }

    /// <summary>Walks <c>.a.b[0][?(@.type=="Ready")].status</c>; anything it cannot resolve is an empty cell.</summary>
    public static JsonNode? Evaluate(JsonNode root, string path)
    {
        var current = root;
        var rest = path.Trim().TrimStart('{').TrimEnd('}').TrimStart('$');
        while (rest.Length > 0 && current is not null)
        {
            if (rest[0] == '.')
            {
                var end = rest.IndexOfAny(['.', '['], 1);
                var key = end < 0 ? rest[1..] : rest[1..end];
                current = current is JsonObject obj ? obj[key] : null;
                rest = end < 0 ? string.Empty : rest[end..];
            }
            else if (rest[0] == '[')
            {
                var close = rest.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    return null;
                }

                current = Select(current, rest[1..close]);
                rest = rest[(close + 1)..];
            }
            else
            {
                return null;
            }
        }

        return current;
    }

    private static JsonNode? Select(JsonNode current, string selector)
    {
        if (current is not JsonArray array)
        {
            return null;
        }

        if (int.TryParse(selector, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return index < array.Count ? array[index] : null;
        }

        // ?(@.field=="value")
        var filter = selector.TrimStart('?').Trim('(', ')');
        var equals = filter.IndexOf("==", StringComparison.Ordinal);
        if (!filter.StartsWith("@.", StringComparison.Ordinal) || equals < 0)
        {
            return null;
        }

        var field = filter[2..equals].Trim();
        var expected = filter[(equals + 2)..].Trim().Trim('"', '\'');
        return array.OfType<JsonObject>().FirstOrDefault(item => item[field] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() == expected);
    }

    /// <summary>kube's HumanDuration, the AGE column.</summary>
    public static string Age(TimeSpan age)
    {
        static string F(double v) => ((long)v).ToString(CultureInfo.InvariantCulture);
        if (age < TimeSpan.Zero)
        {
            return "0s";
        }

        if (age.TotalSeconds < 120)
        {
            return F(age.TotalSeconds) + "s";
        }

        if (age.TotalMinutes < 10)
        {
            return age.Seconds == 0 ? F(age.TotalMinutes) + "m" : F(age.TotalMinutes) + "m" + F(age.Seconds) + "s";
        }

        if (age.TotalMinutes < 180)
        {
            return F(age.TotalMinutes) + "m";
        }

        if (age.TotalHours < 8)
        {
            return age.Minutes == 0 ? F(age.TotalHours) + "h" : F(age.TotalHours) + "h" + F(age.Minutes) + "m";
        }

        if (age.TotalHours < 48)
        {
            return F(age.TotalHours) + "h";
        }

        return age.TotalDays < 8 && age.Hours != 0 ? F(age.TotalDays) + "d" + F(age.Hours) + "h" : F(age.TotalDays) + "d";
    }
}
