using System.Diagnostics;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Autorest;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class FaultInjectionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Fail_next_answers_the_matching_requests_with_the_status_then_recovers()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));
        server.FailNext("get", "/apis/test.econt.io/v1/namespaces/*/widgets/*", 500, count: 2);

        var (first, status) = await FailureAsync(() => GetWidgetAsync(client, "a"));
        var list = await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, cancellationToken: Ct);
        var (second, _) = await FailureAsync(() => GetWidgetAsync(client, "a"));
        var third = await GetWidgetAsync(client, "a");

        Assert.Equal(500, first);
        Assert.Equal("InternalError", (string?)status["reason"]);
        Assert.NotNull(list);
        Assert.Equal(500, second);
        Assert.Equal("a", (string?)third["metadata"]!["name"]);
    }

    [Fact]
    public async Task A_429_carries_retry_after()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        server.FailNext("list", "*", 429, retryAfter: TimeSpan.FromSeconds(3));

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: Ct));

        Assert.Equal(429, (int)e.Response.StatusCode);
        Assert.Equal("3", e.Response.Headers["Retry-After"].Single());
        Assert.Contains("\"retryAfterSeconds\":3", e.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Latency_delays_every_request()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        server.Latency = TimeSpan.FromMilliseconds(300);

        var clock = Stopwatch.StartNew();
        await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);

        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(290), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task The_request_log_records_verb_path_and_user_agent_and_counts_requests()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));
        await GetWidgetAsync(client, "a");
        await GetWidgetAsync(client, "a");
        await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, cancellationToken: Ct);

        var create = server.RequestLog.Single(r => r.Verb == "create");
        Assert.Equal("POST", create.Method);
        Assert.Equal("/apis/test.econt.io/v1/namespaces/default/widgets", create.Path);
        Assert.Equal(201, create.StatusCode);
        Assert.StartsWith("kubernetes-csharp/", create.UserAgent ?? string.Empty, StringComparison.Ordinal);
        Assert.Equal(2, server.CountRequests("get", "/apis/test.econt.io/v1/namespaces/default/widgets/a"));
        Assert.Equal(1, server.CountRequests("list", "*/widgets"));
        Assert.Equal(4, server.CountRequests("*", "/apis/test.econt.io/*"));
    }

    [Fact]
    public async Task An_aborted_watch_drop_resets_the_connection()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var watching = WatchRecorder.RunAsync(client, null, _ => false);
        for (var i = 0; i < 200 && server.OpenWatches == 0; i++)
        {
            await Task.Delay(25, Ct);
        }

        server.DropWatches(abortConnections: true);

        var ended = await Record.ExceptionAsync(() => watching);
        Assert.True(ended is null or HttpRequestException or IOException, ended?.ToString());
        Assert.Equal(0, server.OpenWatches);
    }
}
