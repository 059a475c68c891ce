using System.Globalization;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class ConcurrencyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Concurrent_read_modify_write_loops_lose_no_update_and_the_watch_sees_each_once_in_order()
    {
        const int Writers = 6;
        const int IncrementsEach = 15;
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await CreateWidgetAsync(client, Widget("counter", size: 1));
        var watching = WatchRecorder.RunAsync(client, Rv(created), r => r.Events.Count == Writers * IncrementsEach, maxWait: TimeSpan.FromSeconds(30));

        var conflicts = 0;
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(_ => Task.Run(async () =>
        {
            for (var done = 0; done < IncrementsEach;)
            {
                var current = await GetWidgetAsync(client, "counter");
                current["status"] = new JsonObject { ["observedGeneration"] = ((long?)current["status"]?["observedGeneration"] ?? 0) + 1 };
                try
                {
                    await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(current, Group, V1, "default", Widgets, "counter", cancellationToken: Ct);
                    done++;
                }
                catch (HttpOperationException e) when ((int)e.Response.StatusCode == 409)
                {
                    Interlocked.Increment(ref conflicts);
                }
            }
        }, Ct)));
        var recorder = await watching;

        var final = await GetWidgetAsync(client, "counter");
        Assert.Equal(Writers * IncrementsEach, (long)final["status"]!["observedGeneration"]!);
        Assert.All(recorder.Events, e => Assert.Equal(WatchEventType.Modified, e.Type));
        var counts = recorder.Events.Select(e => (long)e.Object["status"]!["observedGeneration"]!).ToList();
        Assert.Equal(Enumerable.Range(1, Writers * IncrementsEach).Select(i => (long)i), counts);
        var rvs = recorder.Events.Select(e => long.Parse(Rv(e.Object), CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(rvs.Distinct().Order(), rvs);
        TestContext.Current.TestOutputHelper?.WriteLine($"{conflicts} conflicts resolved by retry");
    }

    [Fact]
    public async Task The_typed_list_then_watch_pattern_works_for_secrets()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var list = await client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: Ct);
        var seen = new List<(WatchEventType, string)>();
        var done = new TaskCompletionSource();

        using var response = client.CoreV1.ListNamespacedSecretWithHttpMessagesAsync("default", watch: true, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: Ct);
#pragma warning disable CS0618 // The typed Watch extension is obsolete but still what many controllers use.
        using var watcher = response.Watch<V1Secret, V1SecretList>((type, secret) =>
        {
            lock (seen)
            {
                seen.Add((type, secret.Metadata.Name));
                if (seen.Count == 2)
                {
                    done.TrySetResult();
                }
            }
        });
#pragma warning restore CS0618
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "default", cancellationToken: Ct);
        await client.CoreV1.DeleteNamespacedSecretAsync("s", "default", cancellationToken: Ct);
        await done.Task.WaitAsync(TimeSpan.FromSeconds(10), Ct);

        Assert.Equal([(WatchEventType.Added, "s"), (WatchEventType.Deleted, "s")], seen);
    }
}
