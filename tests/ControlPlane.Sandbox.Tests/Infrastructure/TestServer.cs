using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;

namespace ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;

/// <summary>Starts a server with the test CRDs and speaks to it through the official KubernetesClient.</summary>
internal static class TestServer
{
    public const string Group = "test.econt.io";
    public const string V1 = "v1";
    public const string Widgets = "widgets";

    public static string CrdDirectory => Path.Combine(AppContext.BaseDirectory, "testdata", "crds");

    public static Task<KubeApiServer> StartAsync(int historyLimit = 1000) =>
        KubeApiServer.StartAsync(new KubeApiServerOptions { CrdDirectories = [CrdDirectory], HistoryLimit = historyLimit }, TestContext.Current.CancellationToken);

    public static JsonObject Widget(string name, int size = 3, string region = "eu", string? ns = "default") => new()
    {
        ["apiVersion"] = "test.econt.io/v1",
        ["kind"] = "Widget",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["spec"] = new JsonObject { ["size"] = size, ["region"] = region },
    };

    public static async Task<JsonObject> CreateWidgetAsync(Kubernetes client, JsonObject widget, string ns = "default") =>
        ToNode(await client.CustomObjects.CreateNamespacedCustomObjectAsync(widget, Group, V1, ns, Widgets, cancellationToken: TestContext.Current.CancellationToken));

    public static async Task<JsonObject> GetWidgetAsync(Kubernetes client, string name, string ns = "default") =>
        ToNode(await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, V1, ns, Widgets, name, TestContext.Current.CancellationToken));

    /// <summary>The client returns custom objects as JsonElement; tests read them as JsonObject.</summary>
    public static JsonObject ToNode(object value) => value switch
    {
        JsonElement element => JsonNode.Parse(element.GetRawText())!.AsObject(),
        JsonObject node => node,
        _ => JsonNode.Parse(KubernetesJson.Serialize(value))!.AsObject(),
    };

    /// <summary>Runs a call expected to fail and returns the HTTP status and the Status body the server answered.</summary>
    public static async Task<(int Code, JsonObject Status)> FailureAsync(Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        return ((int)e.Response.StatusCode, JsonNode.Parse(e.Response.Content)!.AsObject());
    }

    public static string Rv(JsonObject obj) => (string)obj["metadata"]!["resourceVersion"]!;

    public static long Generation(JsonObject obj) => (long)obj["metadata"]!["generation"]!;
}
