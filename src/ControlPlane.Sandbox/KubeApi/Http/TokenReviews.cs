using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>authentication.k8s.io/v1 TokenReview, answered from the tokens a test registered.</summary>
internal sealed class TokenReviews
{
    private readonly ConcurrentDictionary<string, JsonObject> _users = new(StringComparer.Ordinal);

    public void Register(string token, string username, IReadOnlyList<string> groups, string uid) =>
        _users[token] = new JsonObject
        {
            ["username"] = username,
            ["uid"] = uid,
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode)g).ToArray()),
        };

    public JsonObject Review(JsonObject body)
    {
        if ((string?)body["kind"] is { } kind && kind != "TokenReview")
        {
            throw StatusBody.BadRequest($"expected kind TokenReview, got {kind}");
        }

        var spec = body["spec"] as JsonObject ?? [];
        var token = (string?)spec["token"] ?? string.Empty;
        var status = new JsonObject();
        if (_users.TryGetValue(token, out var user))
        {
            status["authenticated"] = true;
            status["user"] = user.DeepClone();
            status["audiences"] = spec["audiences"]?.DeepClone() ?? new JsonArray();
        }
        else
        {
            status["user"] = new JsonObject();
            status["error"] = "[invalid bearer token, token lookup failed]";
        }

        return new JsonObject
        {
            ["kind"] = "TokenReview",
            ["apiVersion"] = "authentication.k8s.io/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
    }
}
