using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>What the built-in strategies do on write: Secret data and stringData, immutable Secrets, Namespace phase.</summary>
internal static class BuiltInRules
{
    public static void Prepare(ResourceType type, JsonObject candidate, JsonObject? current, List<FieldError> errors)
    {
        if (type == BuiltInResources.Secrets)
        {
            PrepareSecret(candidate, current, errors);
        }
        else if (type == BuiltInResources.Namespaces)
        {
            candidate["spec"] ??= new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            candidate["status"] = current?["status"]?.DeepClone() ?? new JsonObject { ["phase"] = "Active" };
        }
    }

    private static void PrepareSecret(JsonObject secret, JsonObject? current, List<FieldError> errors)
    {
        // stringData is write-only: merged into data (base64) and never stored, exactly as the Secret strategy does.
        if (secret["stringData"] is JsonObject stringData)
        {
            var data = secret["data"] as JsonObject ?? [];
            secret["data"] = data;
            foreach (var (key, value) in stringData)
            {
                data[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value?.ToString() ?? string.Empty));
            }
        }

        secret.Remove("stringData");
        if (secret["data"] is JsonObject values)
        {
            foreach (var (key, value) in values)
            {
                var text = value?.ToString() ?? string.Empty;
                if (!Convert.TryFromBase64String(text, new byte[text.Length], out _))
                {
                    throw StatusBody.BadRequest($"Secret in version \"v1\" cannot be handled as a Secret: illegal base64 data at input byte 0 (data[{key}])");
                }

                if (!SecretKey(key))
                {
                    errors.Add(FieldError.Invalid($"data[{key}]", key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"));
                }
            }
        }

        secret["type"] ??= "Opaque";
        if (current is null)
        {
            return;
        }

        if ((string?)current["type"] != (string?)secret["type"])
        {
            errors.Add(FieldError.Invalid("type", secret["type"]?.DeepClone(), "field is immutable"));
        }

        if ((bool?)current["immutable"] == true)
        {
            if (!JsonNode.DeepEquals(current["data"], secret["data"]))
            {
                errors.Add(FieldError.Forbidden("data", "field is immutable when `immutable` is set"));
            }

            if ((bool?)secret["immutable"] != true)
            {
                errors.Add(FieldError.Forbidden("immutable", "field is immutable when `immutable` is set"));
            }
        }
    }

    private static bool SecretKey(string key) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && key is not ("." or "..");
}
