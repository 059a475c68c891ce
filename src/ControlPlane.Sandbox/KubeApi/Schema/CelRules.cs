using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Schema.Cel;

namespace ControlPlane.Sandbox.KubeApi.Schema;

/// <summary>
/// Evaluates <c>x-kubernetes-validations</c> rules written in the CEL subset <see cref="CelParser"/> accepts, at every schema
/// node whose value is present. Rules that mention <c>oldSelf</c> are transition rules: only on update, only where the old
/// object holds a value too, and not inside arrays. A rule outside the subset is ignored; an evaluation error fails the rule,
/// as in kube-apiserver. <c>message</c>, <c>fieldPath</c> and <c>reason</c> are honoured; <c>messageExpression</c> is not.
/// </summary>
internal static class CelRules
{
    private static readonly ConcurrentDictionary<string, CelExpr?> Parsed = new();

    /// <summary>The parsed rule, or null when it uses syntax outside the supported subset.</summary>
    public static CelExpr? Parse(string rule) => Parsed.GetOrAdd(rule, static r =>
    {
        try
        {
            return CelParser.Parse(r);
        }
        catch (CelUnsupportedException)
        {
            return null;
        }
    });

    public static void Check(JsonNode? value, JsonNode? oldValue, JsonObject schema, string path, bool insideArray, List<FieldError> errors)
    {
        if (value is null)
        {
            return;
        }

        foreach (var rule in (schema["x-kubernetes-validations"] as JsonArray ?? []).OfType<JsonObject>())
        {
            Evaluate(rule, value, oldValue, schema, path, insideArray, errors);
        }

        switch (value)
        {
            case JsonObject obj:
                var properties = schema["properties"] as JsonObject;
                var additional = schema["additionalProperties"] as JsonObject;
                foreach (var (key, child) in obj)
                {
                    if (path.Length == 0 && key is "metadata" or "apiVersion" or "kind")
                    {
                        continue;
                    }

                    if ((properties?[key] as JsonObject ?? additional) is { } childSchema)
                    {
                        Check(child, (oldValue as JsonObject)?[key], childSchema, SchemaKeywords.Child(path, key), insideArray, errors);
                    }
                }

                break;
            case JsonArray array when schema["items"] is JsonObject items:
                for (var i = 0; i < array.Count; i++)
                {
                    Check(array[i], null, items, $"{path}[{i.ToString(CultureInfo.InvariantCulture)}]", insideArray: true, errors);
                }

                break;
        }
    }

    private static void Evaluate(JsonObject rule, JsonNode value, JsonNode? oldValue, JsonObject schema, string path, bool insideArray, List<FieldError> errors)
    {
        var text = (string?)rule["rule"];
        if (text is null || Parse(text) is not { } expression)
        {
            return;
        }

        var transition = text.Contains("oldSelf", StringComparison.Ordinal);
        if (transition && (oldValue is null || insideArray))
        {
            return;
        }

        var variables = new Dictionary<string, object?> { ["self"] = CelEvaluator.FromJson(value) };
        if (transition)
        {
            variables["oldSelf"] = CelEvaluator.FromJson(oldValue);
        }

        string? failure;
        try
        {
            failure = CelEvaluator.Evaluate(expression, variables) is true ? null : (string?)rule["message"] ?? $"failed rule: {text}";
        }
        catch (CelEvaluationException e)
        {
            failure = $"{(string?)rule["message"] ?? $"failed rule: {text}"}: {e.Message}";
        }

        if (failure is null)
        {
            return;
        }

        var field = (string?)rule["fieldPath"] is { Length: > 0 } fieldPath ? path + (fieldPath.StartsWith('.') ? fieldPath : "." + fieldPath) : path;
        field = field.Length == 0 ? "<nil>" : field;
        var typeName = SchemaKeywords.Text(schema, "type") ?? "object";
        errors.Add((string?)rule["reason"] switch
        {
            "FieldValueForbidden" => FieldError.Forbidden(field, failure),
            "FieldValueRequired" => new FieldError(field, "FieldValueRequired", $"Required value: {failure}"),
            "FieldValueDuplicate" => new FieldError(field, "FieldValueDuplicate", $"Duplicate value: {FieldError.Render(typeName)}: {failure}"),
            _ => FieldError.Invalid(field, typeName, failure),
        });
    }
}
