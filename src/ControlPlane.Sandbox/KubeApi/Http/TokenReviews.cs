using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>authentication.k8s.io/v1 TokenReview, answered from the tokens a test registered.</summary>
internal sealed class TokenReviews
{
    private readonly ConcurrentDictionary<string, JsonObject> _users = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, string[]> _audiences = new(StringComparer.Ordinal);

    /// <summary><paramref name="audiences"/> null: the token is valid for whatever audiences a review asks for.</summary>
    public void Register(string token, string username, IReadOnlyList<string> groups, string uid, IReadOnlyList<string>? audiences = null)
    {
        _users[token] = new JsonObject
        {
            ["username"] = username,
            ["uid"] = uid,
            ["groups"] = new JsonArray(groups.Select(g => (JsonNode)g).ToArray()),
        };
        if (audiences is not null)
        {
            _audiences[token] = [.. audiences];
        }
    }

    /// <summary>
    /// The user a bearer token authenticates as for a request to the API itself: a token bound to audiences must include
    /// <paramref name="apiAudience"/>, as kube-apiserver's service-account authenticator requires (so a token projected for
    /// another audience, such as the resolver's, is refused here). Null for an unknown or foreign token.
    /// </summary>
    public Rbac.UserInfo? Authenticate(string token, string apiAudience)
    {
        if (!_users.TryGetValue(token, out var user)
            || (_audiences.TryGetValue(token, out var bound) && !bound.Contains(apiAudience, StringComparer.Ordinal)))
        {
            return null;
        }

        var groups = (user["groups"] as JsonArray ?? []).Select(g => (string?)g).OfType<string>().Append("system:authenticated").Distinct(StringComparer.Ordinal);
        return new Rbac.UserInfo((string)user["username"]!, [.. groups]);
    }

    public JsonObject Review(JsonObject body)
    {
        if ((string?)body["kind"] is { } kind && kind != "TokenReview")
        {
            throw StatusBody.BadRequest($"expected kind TokenReview, got {kind}");
        }

        var spec = body["spec"] as JsonObject ?? [];
        var token = (string?)spec["token"] ?? string.Empty;
        var status = new JsonObject();
        var asked = (spec["audiences"] as JsonArray)?.Select(a => (string?)a).OfType<string>().ToArray() ?? [];

        // As kube-apiserver: a token bound to audiences authenticates only for a review that asks for one of them (or
        // for none, answered with the token's own), and the answer lists the audiences both share.
        string[]? granted = null;
        if (_users.TryGetValue(token, out var user))
        {
            granted = !_audiences.TryGetValue(token, out var bound) ? asked
                : asked.Length == 0 ? bound
                : [.. asked.Intersect(bound, StringComparer.Ordinal)];
        }

        if (user is not null && granted is not null && (granted.Length > 0 || !_audiences.ContainsKey(token)))
        {
            status["authenticated"] = true;
            status["user"] = user.DeepClone();
            status["audiences"] = new JsonArray(granted.Select(a => (JsonNode)a).ToArray());
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
