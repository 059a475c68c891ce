using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Selectors;
using ControlPlane.Sandbox.KubeApi.Storage;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>LIST: selectors, then <c>limit</c>/<c>continue</c> paging in (namespace, name) order.</summary>
internal static class ListQuery
{
    public static JsonObject List(ObjectStore store, ApiRoute route, IQueryCollection query)
    {
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        string? startAfter = null;
        var snapshotVersion = (long?)null;
        if (query["continue"].ToString() is { Length: > 0 } token)
        {
            var position = ContinueToken.Decode(token);
            if (position.ResourceVersion < store.CompactedThrough)
            {
                throw StatusBody.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.");
            }

            startAfter = position.StartAfter;
            snapshotVersion = position.ResourceVersion;
        }

        int? limit = int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out var requested) && requested > 0 ? requested : null;
        var filtered = !labels.IsEmpty || !fields.IsEmpty;
        var page = store.Page(route.Type.StorageKey, route.Namespace, filtered ? o => labels.Matches(o) && fields.Matches(o) : null, startAfter, limit);
        var resourceVersion = snapshotVersion ?? page.ResourceVersion;
        var metadata = new JsonObject { ["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture) };
        if (page.More)
        {
            metadata["continue"] = new ContinueToken(resourceVersion, Key(page.Items[^1])).Encode();

            // As kube-apiserver: with a selector how many would match is unknown without filtering the rest, so it is left out.
            if (!filtered)
            {
                metadata["remainingItemCount"] = page.Following;
            }
        }

        return new JsonObject
        {
            ["apiVersion"] = route.Type.ApiVersion(route.Version),
            ["kind"] = route.Type.ListKind,
            ["metadata"] = metadata,
            ["items"] = new JsonArray(page.Items.Select(o => (JsonNode)Item(o, route.Type, route.Version)).ToArray()),
        };
    }

    /// <summary>Custom resource list items carry apiVersion and kind; built-in list items do not, as kube-apiserver writes them.</summary>
    private static JsonObject Item(JsonObject stored, ResourceType type, string version)
    {
        var rendered = ObjectShape.Render(stored, type, version);
        if (!type.IsCustom)
        {
            rendered.Remove("apiVersion");
            rendered.Remove("kind");
        }

        return rendered;
    }

    private static string Key(JsonObject obj) =>
        ((string?)obj["metadata"]?["namespace"] ?? string.Empty) + "/" + (string?)obj["metadata"]?["name"];
}
