using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Storage;

namespace ControlPlane.Sandbox.KubeApi.Http.Rbac;

/// <summary>
/// kube-apiserver's RBAC authorizer over the stored Roles, ClusterRoles and bindings, with the rule and subject matching of
/// <c>pkg/apis/rbac/v1/evaluation_helpers.go</c>, plus the slice of the bootstrap policy every cluster has: members of
/// <c>system:masters</c> may do anything; everyone may read the health and version paths (system:public-info-viewer);
/// authenticated users may read discovery and OpenAPI (system:discovery) and create self access reviews (system:basic-user).
/// Aggregated ClusterRoles are not expanded: their stored rules are used as written.
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    private const string Authenticated = "system:authenticated";

    private const string Unauthenticated = "system:unauthenticated";

    private static readonly string[] PublicPaths = ["/healthz", "/livez", "/readyz", "/version", "/version/"];

    private static readonly string[] DiscoveryPaths = ["/api", "/api/*", "/apis", "/apis/*", "/openapi", "/openapi/*"];

    private static readonly string[] SelfReviews = ["selfsubjectaccessreviews", "selfsubjectrulesreviews"];

    /// <summary>Whether <paramref name="user"/> may do <paramref name="request"/>, and why (the reason kube-apiserver gives).</summary>
    public Decision Authorize(UserInfo user, RequestAttributes request)
    {
        if (user.Groups.Contains(UserInfo.Masters))
        {
            return new Decision(true, $"allowed to group \"{UserInfo.Masters}\"");
        }

        if (Bootstrap(user, request) is { } bootstrap)
        {
            return new Decision(true, $"RBAC: allowed by ClusterRoleBinding \"{bootstrap}\" of ClusterRole \"{bootstrap}\" (bootstrap policy)");
        }

        foreach (var binding in store.List(BuiltInResources.ClusterRoleBindings.StorageKey, null).Items)
        {
            if (AppliesTo(binding, user, bindingNamespace: null) is { } subject
                && RoleRules(binding, bindingNamespace: null).Any(rule => Allows(rule, request, namespaced: false)))
            {
                return Allowed("ClusterRoleBinding", binding, subject);
            }
        }

        if (request is { IsResourceRequest: true, Namespace: { } ns })
        {
            foreach (var binding in store.List(BuiltInResources.RoleBindings.StorageKey, ns).Items)
            {
                if (AppliesTo(binding, user, ns) is { } subject
                    && RoleRules(binding, ns).Any(rule => Allows(rule, request, namespaced: true)))
                {
                    return Allowed("RoleBinding", binding, subject);
                }
            }
        }

        return new Decision(false, string.Empty);
    }

    private static Decision Allowed(string kind, JsonObject binding, string subject)
    {
        var bindingName = (string?)binding["metadata"]?["name"];
        var role = binding["roleRef"];
        var where = kind == "RoleBinding" ? $"/{(string?)binding["metadata"]?["namespace"]}" : string.Empty;
        return new Decision(true, $"RBAC: allowed by {kind} \"{bindingName}{where}\" of {(string?)role?["kind"]} \"{(string?)role?["name"]}\" to {subject}");
    }

    private static string? Bootstrap(UserInfo user, RequestAttributes request)
    {
        if (!request.IsResourceRequest)
        {
            if (request.Verb == "get" && PublicPaths.Any(p => UrlMatches(p, request.Path!)))
            {
                return "system:public-info-viewer";
            }

            return request.Verb == "get" && user.Groups.Contains(Authenticated) && DiscoveryPaths.Any(p => UrlMatches(p, request.Path!))
                ? "system:discovery"
                : null;
        }

        return request is { Verb: "create", Group: "authorization.k8s.io" } && SelfReviews.Contains(request.Resource) && user.Groups.Contains(Authenticated)
            ? "system:basic-user"
            : null;
    }

    /// <summary>The subject of <paramref name="binding"/> that names <paramref name="user"/>, rendered as kube-apiserver does; null when none does.</summary>
    private static string? AppliesTo(JsonObject binding, UserInfo user, string? bindingNamespace)
    {
        foreach (var subject in (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var kind = (string?)subject["kind"];
            var name = (string?)subject["name"] ?? string.Empty;
            switch (kind)
            {
                case "User" when user.Name == name:
                    return $"User \"{name}\"";
                case "Group" when user.Groups.Contains(name):
                    return $"Group \"{name}\"";
                case "ServiceAccount":
                    var ns = (string?)subject["namespace"] is { Length: > 0 } given ? given : bindingNamespace ?? string.Empty;
                    if (user.IsServiceAccount(ns, name))
                    {
                        return $"ServiceAccount \"{name}/{ns}\"";
                    }

                    break;
            }
        }

        return null;
    }

    private IEnumerable<JsonObject> RoleRules(JsonObject binding, string? bindingNamespace)
    {
        var roleRef = binding["roleRef"];
        var name = (string?)roleRef?["name"] ?? string.Empty;
        var role = (string?)roleRef?["kind"] switch
        {
            "ClusterRole" => store.Get(BuiltInResources.ClusterRoles.StorageKey, string.Empty, name),
            "Role" when bindingNamespace is not null => store.Get(BuiltInResources.Roles.StorageKey, bindingNamespace, name),
            _ => null,
        };
        return (role?["rules"] as JsonArray ?? []).OfType<JsonObject>();
    }

    private static bool Allows(JsonObject rule, RequestAttributes request, bool namespaced)
    {
        if (!Contains(rule, "verbs", request.Verb, wildcard: true))
        {
            return false;
        }

        if (!request.IsResourceRequest)
        {
            // A namespaced binding never grants non-resource URLs.
            return !namespaced && Strings(rule, "nonResourceURLs").Any(url => UrlMatches(url, request.Path!));
        }

        return Contains(rule, "apiGroups", request.Group!, wildcard: true)
            && ResourceMatches(Strings(rule, "resources"), request.Resource!, request.Subresource)
            && (Strings(rule, "resourceNames") is var names && (names.Count == 0 || (request.Name is { } n && names.Contains(n))));
    }

    private static bool ResourceMatches(IReadOnlyList<string> ruleResources, string resource, string? subresource)
    {
        var combined = subresource is null ? resource : $"{resource}/{subresource}";
        return ruleResources.Any(r => r == "*" || r == combined || (subresource is not null && r == $"*/{subresource}"));
    }

    private static bool UrlMatches(string ruleUrl, string path) =>
        ruleUrl == "*" || ruleUrl == path || (ruleUrl.EndsWith('*') && path.StartsWith(ruleUrl.TrimEnd('*'), StringComparison.Ordinal));

    private static bool Contains(JsonObject rule, string field, string value, bool wildcard) =>
        Strings(rule, field).Any(v => v == value || (wildcard && v == "*"));

    private static List<string> Strings(JsonObject rule, string field) =>
        (rule[field] as JsonArray ?? []).Select(v => (string?)v).OfType<string>().ToList();

    /// <summary>A decision and the reason a SelfSubjectAccessReview reports for it.</summary>
    internal readonly record struct Decision(bool Allowed, string Reason);
}
