using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;

/// <summary>
/// Assertions that hold against kube-apiserver itself: run against the in-process server here and against K3s where a
/// Docker engine exists, so the two can be compared. They check codes, reasons, fields and event sequences, not message
/// wording, and use unique names so a shared cluster is fine.
/// </summary>
internal static class ConformanceScenarios
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static async Task RunAllAsync(Kubernetes client)
    {
        await StalePutConflictsAsync(client);
        await GenerationFollowsSpecNotStatusAsync(client);
        await FinalizerDeletionIsModifiedThenDeletedAsync(client);
        await InvalidObjectNamesTheFieldAsync(client);
        await ImmutableFieldIsEnforcedAsync(client);
        await PruningAndDefaultingApplyAsync(client);
    }

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..20];

    private static async Task StalePutConflictsAsync(Kubernetes client)
    {
        var name = Unique("stale");
        var created = await CreateWidgetAsync(client, Widget(name));
        var stale = (JsonObject)created.DeepClone();
        created["spec"]!["size"] = 4;
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, Group, V1, "default", Widgets, name, cancellationToken: Ct);
        stale["spec"]!["size"] = 5;

        var (code, status) = await FailureAsync(() => client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, Group, V1, "default", Widgets, name, cancellationToken: Ct));

        Assert.Equal(409, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
    }

    private static async Task GenerationFollowsSpecNotStatusAsync(Kubernetes client)
    {
        var name = Unique("gen");
        await CreateWidgetAsync(client, Widget(name));
        var afterStatus = ToNode(await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"phase":"Ready"}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, name, cancellationToken: Ct));
        var afterSpec = ToNode(await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"size":6}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, name, cancellationToken: Ct));

        Assert.Equal(1, Generation(afterStatus));
        Assert.Equal(2, Generation(afterSpec));
        Assert.Equal("Ready", (string?)afterSpec["status"]!["phase"]);
    }

    private static async Task FinalizerDeletionIsModifiedThenDeletedAsync(Kubernetes client)
    {
        var name = Unique("fin");
        var body = Widget(name);
        body["metadata"]!["finalizers"] = new JsonArray("test.econt.io/cleanup");
        var created = await CreateWidgetAsync(client, body);

        var watching = WatchRecorder.RunAsync(client, Rv(created), r => r.Events.Any(e => e.Type == WatchEventType.Deleted && (string?)e.Object["metadata"]!["name"] == name), maxWait: TimeSpan.FromSeconds(30));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, name, cancellationToken: Ct);
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, name, cancellationToken: Ct);
        var recorder = await watching;

        var mine = recorder.Events.Where(e => (string?)e.Object["metadata"]!["name"] == name).Select(e => e.Type).ToList();
        Assert.Equal([WatchEventType.Modified, WatchEventType.Deleted], mine);
    }

    private static async Task InvalidObjectNamesTheFieldAsync(Kubernetes client)
    {
        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, Widget(Unique("bad"), size: 11)));

        Assert.Equal(422, code);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Contains(status["details"]!["causes"]!.AsArray(), c => (string?)c!["field"] == "spec.size");
    }

    private static async Task ImmutableFieldIsEnforcedAsync(Kubernetes client)
    {
        var name = Unique("imm");
        await CreateWidgetAsync(client, Widget(name, region: "eu"));

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"region":"us"}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, name, cancellationToken: Ct));

        Assert.Equal(422, code);
        Assert.Contains(status["details"]!["causes"]!.AsArray(), c => (string?)c!["field"] == "spec.region");
    }

    private static async Task PruningAndDefaultingApplyAsync(Kubernetes client)
    {
        var body = Widget(Unique("prune"));
        body["spec"]!["unknown"] = "dropped";

        var created = await CreateWidgetAsync(client, body);

        Assert.Null(created["spec"]!["unknown"]);
        Assert.Equal("green", (string?)created["spec"]!["color"]);
        Assert.Equal(2, (int?)created["spec"]!["limits"]!["cpu"]);
    }
}
