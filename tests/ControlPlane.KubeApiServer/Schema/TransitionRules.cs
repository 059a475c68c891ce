using System.Text.Json.Nodes;
using ControlPlane.KubeApi.Api;

namespace ControlPlane.KubeApi.Schema;

/// <summary>
/// The only <c>x-kubernetes-validations</c> rules evaluated: <c>self == oldSelf</c> (and <c>oldSelf == self</c>), the
/// immutability transition rule. On update, where both the old and the new object hold a value at the rule's place and
/// they differ, the update fails with the rule's <c>message</c>. Every other CEL rule is ignored.
/// </summary>
internal static class TransitionRules
{
    public static void Check(JsonNode? newValue, JsonNode? oldValue, JsonObject schema, string path, List<FieldError> errors)
    {
        if (newValue is null || oldValue is null)
        {
            return;
        }

        foreach (var rule in (schema["x-kubernetes-validations"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (IsImmutabilityRule((string?)rule["rule"]) && !JsonNode.DeepEquals(newValue, oldValue))
            {
                var message = (string?)rule["message"] ?? $"failed rule: {(string?)rule["rule"]}";
                errors.Add(FieldError.Invalid(path.Length == 0 ? "<root>" : path, SchemaTypeName(schema), message));
            }
        }

        if (newValue is JsonObject newObject && oldValue is JsonObject oldObject && schema["properties"] is JsonObject properties)
        {
            foreach (var (key, propertySchema) in properties)
            {
                if (propertySchema is JsonObject ps && (path.Length > 0 || key is not ("metadata" or "apiVersion" or "kind")))
                {
                    Check(newObject[key], oldObject[key], ps, SchemaKeywords.Child(path, key), errors);
                }
            }
        }
    }

    public static bool IsImmutabilityRule(string? rule) =>
        rule is not null && string.Concat(rule.Where(c => !char.IsWhiteSpace(c))) is "self==oldSelf" or "oldSelf==self";

    private static string SchemaTypeName(JsonObject schema) => SchemaKeywords.Text(schema, "type") ?? "object";
}
