using ControlPlane.Sandbox.KubeApi.Resources;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>A request path resolved to a resource: its type and version, namespace, name and subresource.</summary>
internal sealed record ApiRoute(ResourceType Type, string Version, string? Namespace, string? Name, string? Subresource)
{
    /// <summary><c>?dryRun=All</c>: the write is decided and validated, nothing is stored.</summary>
    public bool DryRun { get; init; }

    /// <summary>The Kubernetes verb of a request on this route, as RBAC and audit logs name it.</summary>
    public string Verb(string method, bool watch) => method switch
    {
        "GET" when Name is null => watch ? "watch" : "list",
        "GET" => "get",
        "POST" => "create",
        "PUT" => "update",
        "PATCH" => "patch",
        "DELETE" when Name is null => "deletecollection",
        "DELETE" => "delete",
        _ => method.ToLowerInvariant(),
    };

    /// <summary>Resolves <c>/api/v1/...</c> and <c>/apis/group/version/...</c> resource paths; null when not a resource path.</summary>
    public static ApiRoute? Parse(ResourceRegistry registry, string[] segments)
    {
        string group;
        string version;
        int rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = (string.Empty, segments[1], 2);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], 3);
        }
        else
        {
            return null;
        }

        var tail = segments[rest..];
        if (tail.Length >= 3 && tail[0] == "namespaces"
            && registry.Find(group, version, tail[2]) is { Namespaced: true } namespaced
            && tail.Length <= 5)
        {
            return new ApiRoute(namespaced, version, tail[1], tail.ElementAtOrDefault(3), tail.ElementAtOrDefault(4));
        }

        if (tail.Length <= 3 && registry.Find(group, version, tail[0]) is { } type)
        {
            var name = tail.ElementAtOrDefault(1);
            if (type.Namespaced && name is not null)
            {
                return null;
            }

            return new ApiRoute(type, version, null, name, tail.ElementAtOrDefault(2));
        }

        return null;
    }
}
