using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Api;

/// <summary>One field validation error, rendered as kube-apiserver's field.Error (<c>spec.x: Invalid value: 3: detail</c>).</summary>
internal sealed record FieldError(string Field, string Reason, string Body)
{
    public static FieldError Required(string field) => new(field, "FieldValueRequired", "Required value");

    public static FieldError Invalid(string field, JsonNode? value, string detail) =>
        new(field, "FieldValueInvalid", $"Invalid value: {Render(value)}: {detail}");

    public static FieldError TypeInvalid(string field, JsonNode? value, string detail) =>
        new(field, "FieldValueTypeInvalid", $"Invalid value: {Render(value)}: {detail}");

    public static FieldError NotSupported(string field, JsonNode? value, IEnumerable<JsonNode?> supported) =>
        new(field, "FieldValueNotSupported",
            $"Unsupported value: {Render(value)}: supported values: {string.Join(", ", supported.Select(Render))}");

    public static FieldError TooLong(string field, long max) =>
        new(field, "FieldValueTooLong", $"Too long: may not be longer than {max.ToString(CultureInfo.InvariantCulture)}");

    public static FieldError TooMany(string field, int actual, long max) =>
        new(field, "FieldValueTooMany",
            $"Too many: {actual.ToString(CultureInfo.InvariantCulture)}: must have at most {max.ToString(CultureInfo.InvariantCulture)} items");

    public static FieldError Forbidden(string field, string detail) => new(field, "FieldValueForbidden", $"Forbidden: {detail}");

    /// <summary>Scalars as Go's %#v prints them in apiserver messages; composite values by their type name.</summary>
    public static string Render(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject => "\"object\"",
        JsonArray => "\"array\"",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonSerializer.Serialize(v.GetValue<string>()),
        _ => value.ToJsonString(),
    };

    public override string ToString() => $"{Field}: {Body}";
}
