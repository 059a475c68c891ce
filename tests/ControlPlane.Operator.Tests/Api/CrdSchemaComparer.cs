using System.Reflection;
using System.Text.Json.Serialization;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>
/// Compares an openAPIV3Schema node (as parsed by YamlDotNet) with a C# type's [JsonPropertyName] properties, both
/// ways, and checks that the JSON types agree. Returns one line per difference.
/// </summary>
internal static class CrdSchemaComparer
{
    public static List<string> Compare(string path, IDictionary<object, object> schema, Type type)
    {
        var differences = new List<string>();
        CompareObject(path, schema, type, differences);
        return differences;
    }

    private static void CompareObject(string path, IDictionary<object, object> schema, Type type, List<string> differences)
    {
        var schemaProperties = schema.TryGetValue("properties", out var p) ? (IDictionary<object, object>)p : new Dictionary<object, object>();
        var clrProperties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(prop => (Name: prop.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name, prop.PropertyType))
            .Where(prop => prop.Name is not null)
            .ToDictionary(prop => prop.Name!, prop => prop.PropertyType);

        foreach (var name in schemaProperties.Keys.Cast<string>().Where(n => !clrProperties.ContainsKey(n)))
        {
            differences.Add($"{path}.{name} is in the CRD but not in {type.Name}");
        }

        foreach (var name in clrProperties.Keys.Where(n => !schemaProperties.ContainsKey(n)))
        {
            differences.Add($"{path}.{name} is in {type.Name} but not in the CRD");
        }

        foreach (var (name, clrType) in clrProperties.Where(c => schemaProperties.ContainsKey(c.Key)))
        {
            CompareValue($"{path}.{name}", (IDictionary<object, object>)schemaProperties[name], clrType, differences);
        }
    }

    private static void CompareValue(string path, IDictionary<object, object> schema, Type clrType, List<string> differences)
    {
        var type = Nullable.GetUnderlyingType(clrType) ?? clrType;
        var schemaType = (string)schema["type"];
        var format = schema.TryGetValue("format", out var f) ? (string)f : null;
        var element = type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IList<>) || d == typeof(List<>))
            ? type.GetGenericArguments()[0]
            : null;

        var expected = schemaType switch
        {
            "string" when format == "date-time" => type == typeof(DateTime),
            "string" => type == typeof(string),
            "boolean" => type == typeof(bool),
            "integer" when format == "int32" => type == typeof(int),
            "integer" => type == typeof(long),
            "array" => element is not null,
            "object" when schema.ContainsKey("additionalProperties") => type.IsGenericType && type.GetGenericTypeDefinition() == typeof(IDictionary<,>),
            "object" => type.IsClass && type != typeof(string) && element is null,
            _ => false,
        };
        if (!expected)
        {
            differences.Add($"{path}: CRD type {schemaType}{(format is null ? "" : $"/{format}")} does not match {clrType.Name}");
            return;
        }

        if (schemaType == "array")
        {
            CompareValue(path + "[]", (IDictionary<object, object>)schema["items"], element!, differences);
        }
        else if (schemaType == "object" && schema.ContainsKey("properties"))
        {
            CompareObject(path, schema, type, differences);
        }
    }
}
