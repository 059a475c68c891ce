using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Http.Rbac;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// authorization.k8s.io/v1 SelfSubjectAccessReview. With <see cref="KubeApiAuthorization.Rbac"/> the review asks the RBAC
/// authorizer about the caller, as kube-apiserver does. Without an authorizer this server serves every request, so it answers
/// every review truthfully with allowed, and says why in the reason.
/// </summary>
internal static class AccessReviews
{
    public const string Reason = "the in-process API server has no RBAC and serves every request";

    public static JsonObject Review(JsonObject body, UserInfo? caller, RbacAuthorizer? authorizer)
    {
        if ((string?)body["kind"] is { } kind && kind != "SelfSubjectAccessReview")
        {
            throw StatusBody.BadRequest($"expected kind SelfSubjectAccessReview, got {kind}");
        }

        var spec = body["spec"] as JsonObject ?? [];
        var resource = spec["resourceAttributes"] as JsonObject;
        var nonResource = spec["nonResourceAttributes"] as JsonObject;
        if ((resource is null) == (nonResource is null))
        {
            throw StatusBody.BadRequest("spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }

        var status = new JsonObject { ["allowed"] = true, ["reason"] = Reason };
        if (authorizer is not null && caller is not null)
        {
            var attributes = resource is not null
                ? RequestAttributes.ForResource(Text(resource, "verb"), Text(resource, "group"), Text(resource, "resource"),
                    Optional(resource, "subresource"), Optional(resource, "namespace"), Optional(resource, "name"))
                : RequestAttributes.ForPath(Text(nonResource!, "verb"), Text(nonResource!, "path"));
            var decision = authorizer.Authorize(caller, attributes);
            status = new JsonObject { ["allowed"] = decision.Allowed };
            if (decision.Reason.Length > 0)
            {
                status["reason"] = decision.Reason;
            }
        }

        return new JsonObject
        {
            ["kind"] = "SelfSubjectAccessReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
    }

    private static string Text(JsonObject attributes, string field) => (string?)attributes[field] ?? string.Empty;

    private static string? Optional(JsonObject attributes, string field) => (string?)attributes[field] is { Length: > 0 } value ? value : null;
}
