using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>Request checks and small helpers of the write path: preconditions, namespace, kind, key order, generated names.</summary>
internal sealed partial class ObjectWrites
{
    private static void CheckPreconditions(ResourceType type, string name, JsonObject current, JsonObject? preconditions)
    {
        var metadata = ObjectShape.Metadata(current);
        if ((string?)preconditions?["uid"] is { Length: > 0 } uid && uid != (string?)metadata["uid"])
        {
            throw StatusBody.PreconditionConflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {(string?)metadata["uid"]}");
        }

        if ((string?)preconditions?["resourceVersion"] is { Length: > 0 } rv && rv != (string?)metadata["resourceVersion"])
        {
            throw StatusBody.PreconditionConflict(type, name,
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {(string?)metadata["resourceVersion"]}");
        }
    }

    private string Namespace(ApiRoute route, JsonObject metadata, bool creating)
    {
        if (!route.Type.Namespaced)
        {
            metadata.Remove("namespace");
            return string.Empty;
        }

        var ns = route.Namespace ?? throw StatusBody.BadRequest("the namespace of the object is required on a namespaced resource path");
        if ((string?)metadata["namespace"] is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            throw StatusBody.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var namespaceObject = store.Get(BuiltInResources.Namespaces.StorageKey, string.Empty, ns) ?? throw StatusBody.NamespaceNotFound(ns);
        if (creating && namespaceObject["metadata"]?["deletionTimestamp"] is not null)
        {
            throw new ApiException(403, "Forbidden",
                $"{route.Type.GroupResource} \"{(string?)metadata["name"] ?? (string?)metadata["generateName"]}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                new JsonObject { ["name"] = (string?)metadata["name"], ["kind"] = route.Type.Plural });
        }

        metadata["namespace"] = ns;
        return ns;
    }

    private static void CheckKind(ApiRoute route, JsonObject body)
    {
        var kind = (string?)body["kind"];
        var apiVersion = (string?)body["apiVersion"];
        if ((kind is not null && kind != route.Type.Kind) || (apiVersion is not null && apiVersion != route.Type.ApiVersion(route.Version)))
        {
            throw StatusBody.BadRequest(
                $"the API version in the data ({apiVersion}) does not match the expected API version ({route.Type.ApiVersion(route.Version)}) or kind ({kind}) does not match {route.Type.Kind}");
        }
    }

    /// <summary>apiVersion, kind, metadata first, then the rest in the order given.</summary>
    private static JsonObject Ordered(JsonObject obj)
    {
        var ordered = new JsonObject();
        foreach (var key in new[] { "apiVersion", "kind", "metadata" }.Concat(obj.Select(p => p.Key)).Distinct().ToList())
        {
            if (obj.TryGetPropertyValue(key, out var value))
            {
                obj.Remove(key);
                ordered[key] = value;
            }
        }

        return ordered;
    }

    private static ApiException UnsupportedPatch(string contentType) => new(415, "UnsupportedMediaType",
        contentType == "application/apply-patch+yaml"
            ? "server-side apply (application/apply-patch+yaml) is not supported by this test API server"
            : $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json{(contentType.Length == 0 ? string.Empty : " (got " + contentType + ")")}");

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, alphabet, (span, chars) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
            }
        });
    }
}
