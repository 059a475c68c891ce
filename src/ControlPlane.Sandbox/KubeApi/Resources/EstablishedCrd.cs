using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>The CustomResourceDefinition object served for a loaded CRD file: its document plus an Established status.</summary>
internal static class EstablishedCrd
{
    public static JsonObject From(ResourceType type)
    {
        var crd = (JsonObject)type.Definition!.DeepClone();
        var metadata = crd["metadata"] as JsonObject ?? [];
        var served = new JsonObject { ["name"] = type.GroupResource };
        foreach (var kept in new[] { "labels", "annotations" })
        {
            if (metadata[kept] is { } value)
            {
                served[kept] = value.DeepClone();
            }
        }

        crd["metadata"] = served;
        var storage = (crd["spec"]?["versions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(v => (bool?)v["storage"] == true).Select(v => (JsonNode?)(string?)v["name"]).ToArray();
        crd["status"] = new JsonObject
        {
            ["acceptedNames"] = crd["spec"]?["names"]?.DeepClone(),
            ["conditions"] = new JsonArray(
                Condition("NamesAccepted", "NoConflicts", "no conflicts found"),
                Condition("Established", "InitialNamesAccepted", "the initial names have been accepted")),
            ["storedVersions"] = new JsonArray(storage),
        };
        return crd;
    }

    private static JsonObject Condition(string type, string reason, string message) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["reason"] = reason,
        ["message"] = message,
    };
}
