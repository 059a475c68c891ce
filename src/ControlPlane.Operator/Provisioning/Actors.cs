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

    /// <summary>The manager of the newest managed-fields entry that owns anything under <c>spec</c>.</summary>
    public static string? LastSpecManager(IEnumerable<V1ManagedFieldsEntry>? entries) =>
        entries?
            .Where(entry => entry.Subresource is null or "" && TouchesSpec(entry.FieldsV1))
            .OrderByDescending(entry => entry.Time ?? DateTime.MinValue)
            .Select(entry => entry.Manager)
            .FirstOrDefault(manager => !string.IsNullOrEmpty(manager));

    private static bool TouchesSpec(object? fields) => fields switch
    {
        JsonElement { ValueKind: JsonValueKind.Object } element => element.TryGetProperty("f:spec", out _),
        null => false,
        _ => JsonSerializer.Serialize(fields).Contains("\"f:spec\"", StringComparison.Ordinal),
    };
}
