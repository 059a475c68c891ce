using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>The opaque <c>continue</c> token of a paged list: the list's resourceVersion and the last key returned.</summary>
internal sealed record ContinueToken(long ResourceVersion, string StartAfter)
{
    public string Encode() => Convert.ToBase64String(Encoding.UTF8.GetBytes(new JsonObject
    {
        ["v"] = "econt.test/1",
        ["rv"] = ResourceVersion,
        ["start"] = StartAfter,
    }.ToJsonString()));

    public static ContinueToken Decode(string token)
    {
        try
        {
            var node = JsonNode.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token)));
            return new ContinueToken((long)node!["rv"]!, (string)node["start"]!);
        }
        catch (Exception e) when (e is FormatException or System.Text.Json.JsonException or InvalidOperationException or NullReferenceException)
        {
            throw StatusBody.BadRequest($"continue key is not valid: {e.Message}");
        }
    }

    public override string ToString() => ResourceVersion.ToString(CultureInfo.InvariantCulture) + "/" + StartAfter;
}
