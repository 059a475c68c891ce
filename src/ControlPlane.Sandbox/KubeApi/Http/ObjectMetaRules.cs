using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>Validation of names and of the finalizer rule kube-apiserver applies to every kind.</summary>
internal static partial class ObjectMetaRules
{
    public static void ValidateName(ResourceType type, string name, List<FieldError> errors)
    {
        var isLabel = type == BuiltInResources.Namespaces;
        var valid = isLabel ? name.Length <= 63 && DnsLabel().IsMatch(name) : name.Length <= 253 && DnsSubdomain().IsMatch(name);
        if (!valid)
        {
            errors.Add(FieldError.Invalid("metadata.name", name, isLabel
                ? "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
                : "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"));
        }
    }

    /// <summary>Once deletion started, finalizers may only be removed.</summary>
    public static void ValidateFinalizers(JsonObject candidate, JsonObject current, List<FieldError> errors)
    {
        if (current["metadata"]?["deletionTimestamp"] is null)
        {
            return;
        }

        var added = ObjectShape.Finalizers(candidate).Except(ObjectShape.Finalizers(current)).ToList();
        if (added.Count > 0)
        {
            errors.Add(FieldError.Forbidden("metadata.finalizers",
                $"no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", added.Select(a => $"\"{a}\""))}}}"));
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
