using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// The part of <c>/openapi/v3</c> kubectl reads before `kubectl apply` (validation on by default): the group-version index and,
/// per group-version, a PATCH operation per kind that declares the <c>fieldValidation</c> query parameter, so kubectl leaves
/// validation to this server (which validates every write against the CRD schema) instead of failing to download OpenAPI v2.
/// No schemas are published: `kubectl explain` does not work here.
/// </summary>
internal static class OpenApiV3
{
    public static JsonObject Index(ResourceRegistry registry)
    {
        var paths = new JsonObject { ["api/v1"] = new JsonObject { ["serverRelativeURL"] = "/openapi/v3/api/v1" } };
        foreach (var (group, versions) in registry.Groups())
        {
            foreach (var version in versions)
            {
                var key = Key(group, version);
                paths[key] = new JsonObject { ["serverRelativeURL"] = "/openapi/v3/" + key };
            }
        }

        return new JsonObject { ["paths"] = paths };
    }

    public static JsonObject? GroupVersion(ResourceRegistry registry, string group, string version)
    {
        var types = registry.Types.Where(t => t.Group == group && t.FindVersion(version) is not null && !t.CreateOnly).ToList();
        if (types.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        foreach (var type in types)
        {
            var prefix = "/" + Key(group, version) + (type.Namespaced ? "/namespaces/{namespace}/" : "/");
            paths[prefix + type.Plural + "/{name}"] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = group, ["version"] = version, ["kind"] = type.Kind },
                    ["parameters"] = new JsonArray(
                        new JsonObject { ["name"] = "fieldValidation", ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string" } }),
                    ["responses"] = new JsonObject(),
                },
            };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = new JsonObject() },
        };
    }

    private static string Key(string group, string version) => group.Length == 0 ? "api/" + version : $"apis/{group}/{version}";
}
