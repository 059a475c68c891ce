using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Api;

/// <summary>An API failure that the server answers with a kube-apiserver shaped <c>Status</c> body.</summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;

    public string Reason { get; } = reason;

    public JsonObject? Details { get; } = details;

    public TimeSpan? RetryAfter { get; init; }

    public JsonObject ToStatus() => StatusBody.Failure(Code, Reason, Message, Details);
}
