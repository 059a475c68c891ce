using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// authorization.k8s.io/v1 SelfSubjectAccessReview. This server has no authorizer (no RBAC objects, no users): it serves
/// every request, so it answers every review truthfully with allowed, and says why in the reason. It cannot tell a
/// caller which RBAC rule is missing; only a real cluster can.
/// </summary>
internal static class AccessReviews
{
    public const string Reason = "the in-process API server has no RBAC and serves every request";

    public static JsonObject Review(JsonObject body)
    {
        if ((string?)body["kind"] is { } kind && kind != "SelfSubjectAccessReview")
        {
            throw StatusBody.BadRequest($"expected kind SelfSubjectAccessReview, got {kind}");
        }

        var spec = body["spec"] as JsonObject ?? [];
        if (spec["resourceAttributes"] is null && spec["nonResourceAttributes"] is null)
        {
            throw StatusBody.BadRequest("spec: Invalid value: exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }

        return new JsonObject
        {
            ["kind"] = "SelfSubjectAccessReview",
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = new JsonObject { ["allowed"] = true, ["reason"] = Reason },
        };
    }
}
