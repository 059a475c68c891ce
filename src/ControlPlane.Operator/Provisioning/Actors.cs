using System.Text.Json;
using k8s.Models;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// Who caused a catalog event: the operator's identity, plus the field manager of the last spec change when the API
/// server records managed fields (e.g. <c>kubectl-client-side-apply</c>, <c>argocd-controller</c>).
/// </summary>
public static class Actors
{
    public static string For(string operatorIdentity, V1ObjectMeta metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var manager = LastSpecManager(metadata.ManagedFields);
        return manager is null ? operatorIdentity : $"{operatorIdentity} (spec by {manager})";
    }

    /// <summary>
    /// Who set annotation <paramref name="annotation"/>: the operator's identity plus the field manager of the newest
    /// managed-fields entry that owns it (e.g. <c>kubectl-annotate</c>), when the API server records managed fields.
    /// </summary>
    public static string ForAnnotation(string operatorIdentity, V1ObjectMeta metadata, string annotation)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var manager = metadata.ManagedFields?
            .Where(entry => entry.Subresource is null or "" && OwnsAnnotation(entry.FieldsV1, annotation))
            .OrderByDescending(entry => entry.Time ?? DateTime.MinValue)
            .Select(entry => entry.Manager)
            .FirstOrDefault(name => !string.IsNullOrEmpty(name));
        return manager is null ? operatorIdentity : $"{operatorIdentity} ({annotation} by {manager})";
    }

    /// <summary>The manager of the newest managed-fields entry that owns anything under <c>spec</c>.</summary>
    public static string? LastSpecManager(IEnumerable<V1ManagedFieldsEntry>? entries) =>
        entries?
            .Where(entry => entry.Subresource is null or "" && TouchesSpec(entry.FieldsV1))
            .OrderByDescending(entry => entry.Time ?? DateTime.MinValue)
            .Select(entry => entry.Manager)
            .FirstOrDefault(manager => !string.IsNullOrEmpty(manager));

    private static bool OwnsAnnotation(object? fields, string annotation)
    {
        var element = fields switch
        {
            JsonElement e => e,
            null => default,
            _ => JsonSerializer.SerializeToElement(fields),
        };
        return element.ValueKind == JsonValueKind.Object
            && element.TryGetProperty("f:metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("f:annotations", out var annotations) && annotations.ValueKind == JsonValueKind.Object
            && annotations.TryGetProperty($"f:{annotation}", out _);
    }

    private static bool TouchesSpec(object? fields) => fields switch
    {
        JsonElement { ValueKind: JsonValueKind.Object } element => element.TryGetProperty("f:spec", out _),
        null => false,
        _ => JsonSerializer.Serialize(fields).Contains("\"f:spec\"", StringComparison.Ordinal),
    };
}
