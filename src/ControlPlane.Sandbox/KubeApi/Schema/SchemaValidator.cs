using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Schema;

/// <summary>
/// Validates a custom resource against its structural <c>openAPIV3Schema</c> with kube-apiserver's messages:
/// type, nullable, required, enum, pattern, format, min/max (and exclusive), multipleOf, lengths, item and property counts,
/// uniqueItems, x-kubernetes-list-type set/map uniqueness, x-kubernetes-int-or-string and allOf. anyOf, oneOf and not are
/// not evaluated.
/// </summary>
internal static class SchemaValidator
{
    public static List<FieldError> ValidateRoot(JsonObject obj, JsonObject schema)
    {
        var errors = new List<FieldError>();
        var properties = schema["properties"] as JsonObject;
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "metadata")
            {
                continue;
            }

            if (properties?[key] is JsonObject propertySchema)
            {
                Validate(value, propertySchema, key, errors);
            }
        }

        Required(obj, schema, string.Empty, errors);
        return errors;
    }

    private static void Validate(JsonNode? value, JsonObject schema, string path, List<FieldError> errors)
    {
        if (value is null)
        {
            if (!SchemaKeywords.IsTrue(schema, "nullable") && !SchemaKeywords.IsTrue(schema, "x-kubernetes-preserve-unknown-fields") && schema["type"] is not null)
            {
                errors.Add(TypeError(path, schema, "null"));
            }

            return;
        }

        if (!TypeMatches(value, schema, out var actual))
        {
            errors.Add(TypeError(path, schema, actual));
            return;
        }

        foreach (var sub in (schema["allOf"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Validate(value, sub, path, errors);
        }

        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
        {
            errors.Add(FieldError.NotSupported(path, value, allowed));
        }

        switch (value)
        {
            case JsonObject obj:
                ValidateObject(obj, schema, path, errors);
                break;
            case JsonArray array:
                ValidateArray(array, schema, path, errors);
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                ValidateString(scalar, scalar.GetValue<string>(), schema, path, errors);
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.Number:
                ValidateNumber(scalar, scalar.GetValue<double>(), schema, path, errors);
                break;
        }
    }

    private static void ValidateObject(JsonObject obj, JsonObject schema, string path, List<FieldError> errors)
    {
        var properties = schema["properties"] as JsonObject;
        var additional = schema["additionalProperties"] as JsonObject;
        foreach (var (key, child) in obj)
        {
            if (properties?[key] is JsonObject propertySchema)
            {
                Validate(child, propertySchema, SchemaKeywords.Child(path, key), errors);
            }
            else if (additional is not null)
            {
                Validate(child, additional, SchemaKeywords.Child(path, key), errors);
            }
        }

        Required(obj, schema, path, errors);
        if (SchemaKeywords.Number(schema, "minProperties") is { } minProperties && obj.Count < minProperties)
        {
            errors.Add(FieldError.Invalid(path, obj.Count, $"{path} in body should have at least {Format(minProperties)} properties"));
        }

        if (SchemaKeywords.Number(schema, "maxProperties") is { } maxProperties && obj.Count > maxProperties)
        {
            errors.Add(FieldError.TooMany(path, obj.Count, (long)maxProperties));
        }
    }

    private static void Required(JsonObject obj, JsonObject schema, string path, List<FieldError> errors)
    {
        foreach (var name in (schema["required"] as JsonArray ?? []).Select(n => (string?)n).OfType<string>())
        {
            if (!obj.ContainsKey(name))
            {
                errors.Add(FieldError.Required(SchemaKeywords.Child(path, name)));
            }
        }
    }

    private static void ValidateArray(JsonArray array, JsonObject schema, string path, List<FieldError> errors)
    {
        if (schema["items"] is JsonObject items)
        {
            for (var i = 0; i < array.Count; i++)
            {
                Validate(array[i], items, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", errors);
            }
        }

        if (SchemaKeywords.Number(schema, "minItems") is { } minItems && array.Count < minItems)
        {
            errors.Add(FieldError.Invalid(path, array.Count, $"{path} in body should have at least {Format(minItems)} items"));
        }

        if (SchemaKeywords.Number(schema, "maxItems") is { } maxItems && array.Count > maxItems)
        {
            errors.Add(FieldError.TooMany(path, array.Count, (long)maxItems));
        }

        if (SchemaKeywords.Text(schema, "x-kubernetes-list-type") is "set" or "map")
        {
            ListTypeDuplicates(array, schema, path, errors);
        }

        if (SchemaKeywords.IsTrue(schema, "uniqueItems"))
        {
            for (var i = 0; i < array.Count; i++)
            {
                if (array.Take(i).Any(earlier => JsonNode.DeepEquals(earlier, array[i])))
                {
                    errors.Add(new FieldError($"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", "FieldValueDuplicate",
                        $"Duplicate value: {FieldError.Render(array[i])}"));
                }
            }
        }
    }

    /// <summary>x-kubernetes-list-type set: items are unique; map: items are unique by x-kubernetes-list-map-keys.</summary>
    private static void ListTypeDuplicates(JsonArray array, JsonObject schema, string path, List<FieldError> errors)
    {
        var keys = (schema["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => (string?)k).OfType<string>().ToList();
        JsonNode? Identity(JsonNode? item) => SchemaKeywords.Text(schema, "x-kubernetes-list-type") == "map" && item is JsonObject obj
            ? new JsonObject(keys.Where(obj.ContainsKey).Select(k => KeyValuePair.Create(k, obj[k]?.DeepClone())))
            : item;
        var seen = new List<JsonNode?>();
        for (var i = 0; i < array.Count; i++)
        {
            var identity = Identity(array[i]);
            if (seen.Any(s => JsonNode.DeepEquals(s, identity)))
            {
                errors.Add(new FieldError($"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", "FieldValueDuplicate",
                    $"Duplicate value: {identity?.ToJsonString() ?? "null"}"));
            }

            seen.Add(identity);
        }
    }

    private static void ValidateString(JsonNode value, string text, JsonObject schema, string path, List<FieldError> errors)
    {
        var length = text.EnumerateRunes().Count();
        if (SchemaKeywords.Number(schema, "maxLength") is { } maxLength && length > maxLength)
        {
            errors.Add(FieldError.TooLong(path, (long)maxLength));
        }

        if (SchemaKeywords.Number(schema, "minLength") is { } minLength && length < minLength)
        {
            errors.Add(FieldError.Invalid(path, value, $"{path} in body should be at least {Format(minLength)} chars long"));
        }

        // Go's regexp, as kube-apiserver: $ is the end of the text, \s and friends are ASCII, a character is a code point.
        if (SchemaKeywords.Text(schema, "pattern") is { } pattern && !Re2Pattern.IsMatch(pattern, text))
        {
            errors.Add(FieldError.Invalid(path, value, $"{path} in body should match '{pattern}'"));
        }

        if (SchemaKeywords.Text(schema, "format") is { } format && !SchemaFormats.IsValid(format, text))
        {
            errors.Add(FieldError.Invalid(path, value, $"{path} in body must be of type {format}: {FieldError.Render(value)}"));
        }
    }

    private static void ValidateNumber(JsonNode value, double number, JsonObject schema, string path, List<FieldError> errors)
    {
        if (SchemaKeywords.Number(schema, "minimum") is { } minimum)
        {
            var exclusive = SchemaKeywords.IsTrue(schema, "exclusiveMinimum");
            if (exclusive ? number <= minimum : number < minimum)
            {
                errors.Add(FieldError.Invalid(path, value,
                    $"{path} in body should be greater than {(exclusive ? string.Empty : "or equal to ")}{Format(minimum)}"));
            }
        }

        if (SchemaKeywords.Number(schema, "maximum") is { } maximum)
        {
            var exclusive = SchemaKeywords.IsTrue(schema, "exclusiveMaximum");
            if (exclusive ? number >= maximum : number > maximum)
            {
                errors.Add(FieldError.Invalid(path, value,
                    $"{path} in body should be less than {(exclusive ? string.Empty : "or equal to ")}{Format(maximum)}"));
            }
        }

        if (SchemaKeywords.Number(schema, "multipleOf") is { } multipleOf && multipleOf != 0 && Math.IEEERemainder(number, multipleOf) != 0)
        {
            errors.Add(FieldError.Invalid(path, value, $"{path} in body should be a multiple of {Format(multipleOf)}"));
        }
    }

    private static bool TypeMatches(JsonNode value, JsonObject schema, out string actual)
    {
        actual = value switch
        {
            JsonObject => "object",
            JsonArray => "array",
            JsonValue v => v.GetValueKind() switch
            {
                JsonValueKind.String => "string",
                JsonValueKind.True or JsonValueKind.False => "boolean",
                JsonValueKind.Number => IsInteger(v) ? "integer" : "number",
                _ => "null",
            },
            _ => "null",
        };
        if (SchemaKeywords.IsTrue(schema, "x-kubernetes-int-or-string"))
        {
            return actual is "string" or "integer";
        }

        return SchemaKeywords.Text(schema, "type") switch
        {
            null => true,
            "number" => actual is "number" or "integer",
            var expected => expected == actual,
        };
    }

    private static bool IsInteger(JsonValue value) =>
        value.TryGetValue<long>(out _) || (value.TryGetValue<double>(out var d) && Math.Floor(d) == d && !double.IsInfinity(d));

    private static FieldError TypeError(string path, JsonObject schema, string actual)
    {
        var expected = SchemaKeywords.IsTrue(schema, "x-kubernetes-int-or-string")
            ? "integer,string"
            : SchemaKeywords.Text(schema, "type") ?? "object";
        return FieldError.TypeInvalid(path, actual, $"{path} in body must be of type {expected}: {FieldError.Render(actual)}");
    }

    private static string Format(double number) => number.ToString(CultureInfo.InvariantCulture);
}
