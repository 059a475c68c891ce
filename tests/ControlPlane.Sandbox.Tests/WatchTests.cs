using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class WatchTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_watch_from_a_list_resource_version_sees_added_modified_and_deleted_in_order()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("before"));
        var list = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, cancellationToken: Ct));
        var listRv = (string)list["metadata"]!["resourceVersion"]!;

        var watching = WatchRecorder.RunAsync(client, listRv, r => r.Events.Count == 3);
        await CreateWidgetAsync(client, Widget("a"));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"size":4}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        var recorder = await watching;

        Assert.Equal(["Added:a", "Modified:a", "Deleted:a"], recorder.Describe());
        Assert.Equal(4, (int?)recorder.Events[1].Object["spec"]!["size"]);
        var rvs = recorder.Events.Select(e => long.Parse(Rv(e.Object), System.Globalization.CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(rvs.Order(), rvs);
    }

    [Fact]
    public async Task A_watch_without_resource_version_starts_with_every_current_object_as_added()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));
        await CreateWidgetAsync(client, Widget("b"));

        var recorder = await WatchRecorder.RunAsync(client, null, r => r.Events.Count == 2);

        Assert.Equal(["Added:a", "Added:b"], recorder.Describe());
    }

    [Fact]
    public async Task Delete_with_finalizer_is_seen_as_modified_then_deleted_after_finalizer_removal()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["metadata"]!["finalizers"] = new JsonArray("test.econt.io/cleanup");
        var created = await CreateWidgetAsync(client, body);

        var watching = WatchRecorder.RunAsync(client, Rv(created), r => r.Events.Any(e => e.Type == WatchEventType.Deleted));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        Assert.NotNull(server.GetStored(Group, V1, Widgets, "default", "a"));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"remove","path":"/metadata/finalizers"}]""", V1Patch.PatchType.JsonPatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        var recorder = await watching;

        Assert.Equal(["Modified:a", "Deleted:a"], recorder.Describe());
        Assert.NotNull((string?)recorder.Events[0].Object["metadata"]!["deletionTimestamp"]);
        Assert.Equal(2, Generation(recorder.Events[0].Object));
    }

    [Fact]
    public async Task A_watch_from_a_compacted_resource_version_gets_an_in_stream_410_Expired()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var old = await CreateWidgetAsync(client, Widget("a"));
        await CreateWidgetAsync(client, Widget("b"));
        server.CompactHistory();

        var recorder = await WatchRecorder.RunAsync(client, Rv(old), r => r.Errors.Count > 0);

        var error = Assert.IsType<KubernetesException>(Assert.Single(recorder.Errors));
        Assert.Equal(410, error.Status.Code);
        Assert.Equal("Expired", error.Status.Reason);
        Assert.Empty(recorder.Events);
    }

    [Fact]
    public async Task History_is_bounded_so_an_old_resource_version_expires_by_itself()
    {
        await using var server = await StartAsync(historyLimit: 3);
        using var client = server.CreateClient();
        var first = await CreateWidgetAsync(client, Widget("w0"));
        for (var i = 1; i <= 4; i++)
        {
            await CreateWidgetAsync(client, Widget($"w{i}"));
        }

        var expired = await WatchRecorder.RunAsync(client, Rv(first), r => r.Errors.Count > 0);
        Assert.Equal(410, Assert.IsType<KubernetesException>(Assert.Single(expired.Errors)).Status.Code);

        var recent = await WatchRecorder.RunAsync(client, Rv(ToNode(await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "w2", Ct))), r => r.Events.Count == 2);
        Assert.Equal(["Added:w3", "Added:w4"], recent.Describe());
    }

    [Fact]
    public async Task A_watch_resumed_from_a_bookmark_misses_nothing_and_repeats_nothing()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var start = server.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture);

        var firstWatch = WatchRecorder.RunAsync(client, start, r => r.Events.Count >= 3 && r.Events[^1].Type == WatchEventType.Bookmark, bookmarks: true);
        await CreateWidgetAsync(client, Widget("a"));
        await CreateWidgetAsync(client, Widget("b"));
        var first = await firstWatch;
        var bookmarkRv = Rv(first.Events[^1].Object);
        await CreateWidgetAsync(client, Widget("c"));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct);

        var resumed = await WatchRecorder.RunAsync(client, bookmarkRv, r => r.Events.Count == 2);

        Assert.Equal(["Added:a", "Added:b"], first.Describe().Where(d => !d.StartsWith("Bookmark", StringComparison.Ordinal)));
        Assert.Equal(Rv(first.Events.Last(e => e.Type == WatchEventType.Added).Object), bookmarkRv);
        Assert.Equal(["Added:c", "Deleted:a"], resumed.Describe());
    }

    [Fact]
    public async Task A_watch_answers_its_headers_at_once_even_when_no_event_ever_follows()
    {
        await using var server = await StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri, Timeout = Timeout.InfiniteTimeSpan };
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        // Nothing is written and no bookmark is asked for: a server that holds the headers back until the first event
        // never answers, and only this bound ends the wait (found by kubectl get -w --request-timeout under load).
        bounded.CancelAfter(TimeSpan.FromSeconds(30));
        var watch = $"apis/test.econt.io/v1/namespaces/default/{Widgets}?watch=true&resourceVersion={server.CurrentResourceVersion}";
        using var response = await http.GetAsync(new Uri(watch, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead, bounded.Token);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task A_watch_ends_cleanly_at_timeout_seconds()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var started = System.Diagnostics.Stopwatch.StartNew();

        // maxWait bounds the wait for the server to end the stream at all (a loaded machine is slow, not wrong).
        var recorder = await WatchRecorder.RunAsync(
            client, server.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => false, timeoutSeconds: 1, maxWait: TimeSpan.FromSeconds(60));

        Assert.True(recorder.EndedByServer);
        Assert.Empty(recorder.Errors);

        // Not before the timeout asked for (a delay can only make it later).
        Assert.True(started.Elapsed >= TimeSpan.FromSeconds(0.9), started.Elapsed.ToString());
    }

    [Fact]
    public async Task Dropping_watches_ends_every_open_stream()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var watching = WatchRecorder.RunAsync(client, null, _ => false);
        await WaitUntilAsync(() => server.OpenWatches == 1);

        Assert.Equal(1, server.DropWatches());
        var recorder = await watching;

        Assert.True(recorder.EndedByServer);
        Assert.Equal(0, server.OpenWatches);
    }

    [Fact]
    public async Task Disposing_the_server_ends_open_watches_promptly()
    {
        var server = await StartAsync();
        using var client = server.CreateClient();
        var watching = WatchRecorder.RunAsync(client, null, _ => false, maxWait: TimeSpan.FromSeconds(60));
        await WaitUntilAsync(() => server.OpenWatches == 1);

        await server.DisposeAsync();

        // The stream asked for no timeout: only the server's shutdown can end it; the recorder gives up (TimeoutException)
        // after maxWait, a bound for a loaded machine, not a measure of promptness.
        var ended = await Record.ExceptionAsync(() => watching);

        Assert.True(ended is null or HttpRequestException or IOException, ended?.ToString());
    }

    [Fact]
    public async Task A_selector_watch_sees_an_object_leave_the_selection_as_deleted()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["metadata"]!["labels"] = new JsonObject { ["tier"] = "gold" };
        var created = await CreateWidgetAsync(client, body);

        var watching = WatchRecorder.RunAsync(client, Rv(created), r => r.Events.Count == 2, labelSelector: "tier in (gold,silver)");
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"labels":{"tier":"bronze"}}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        await CreateWidgetAsync(client, Widget("unlabelled"));
        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"labels":{"tier":"silver"}}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        var recorder = await watching;

        Assert.Equal(["Deleted:a", "Added:a"], recorder.Describe());
    }

    [Fact]
    public async Task A_watch_across_all_namespaces_sees_every_namespace()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "other" } }, cancellationToken: Ct);
        var seen = new List<string>();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        cts.CancelAfter(TimeSpan.FromSeconds(10));

        var watching = Task.Run(async () =>
        {
            await foreach (var (_, obj) in client.CustomObjects.WatchListCustomObjectForAllNamespacesAsync(Group, V1, Widgets,
                resourceVersion: server.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken: cts.Token))
            {
                var node = ToNode(obj);
                seen.Add($"{(string?)node["metadata"]!["namespace"]}/{(string?)node["metadata"]!["name"]}");
                if (seen.Count == 2)
                {
                    return;
                }
            }
        }, Ct);
        await WaitUntilAsync(() => server.OpenWatches == 1);
        await CreateWidgetAsync(client, Widget("a"));
        await CreateWidgetAsync(client, Widget("b", ns: "other"), "other");
        await watching;

        Assert.Equal(["default/a", "other/b"], seen);
    }

    [Fact]
    public async Task An_injected_plain_http_410_on_watch_reaches_the_client_as_an_error()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        server.FailNext("watch", "/apis/test.econt.io/v1/namespaces/default/widgets", 410);

        var failure = await Record.ExceptionAsync(() => WatchRecorder.RunAsync(client, "1", _ => false));

        var http = Assert.IsType<k8s.Autorest.HttpOperationException>(failure);
        Assert.Equal(410, (int)http.Response.StatusCode);
        Assert.Equal(1, server.CountRequests("watch", "*/widgets"));
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25, Ct);
        }

        Assert.True(condition());
    }
}
