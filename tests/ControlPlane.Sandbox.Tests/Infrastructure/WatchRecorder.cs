using System.Text.Json.Nodes;
using k8s;

namespace ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;

/// <summary>Opens a custom-object watch through KubernetesClient and records its events and in-stream errors.</summary>
internal sealed class WatchRecorder
{
    public List<(WatchEventType Type, JsonObject Object)> Events { get; } = [];

    public List<Exception> Errors { get; } = [];

    /// <summary>True when the stream ended by itself (server closed it) rather than by the test's stop condition.</summary>
    public bool EndedByServer { get; private set; }

    public static async Task<WatchRecorder> RunAsync(
        Kubernetes client,
        string? resourceVersion,
        Func<WatchRecorder, bool> stopWhen,
        bool bookmarks = false,
        int? timeoutSeconds = null,
        string? labelSelector = null,
        TimeSpan? maxWait = null)
    {
        var recorder = new WatchRecorder();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cts.CancelAfter(maxWait ?? TimeSpan.FromSeconds(10));
        var stream = client.CustomObjects.WatchListNamespacedCustomObjectAsync(
            TestServer.Group, TestServer.V1, "default", TestServer.Widgets,
            allowWatchBookmarks: bookmarks,
            labelSelector: labelSelector,
            resourceVersion: resourceVersion,
            timeoutSeconds: timeoutSeconds,
            onError: recorder.Errors.Add,
            cancellationToken: cts.Token);
        try
        {
            await foreach (var (type, obj) in stream)
            {
                recorder.Events.Add((type, TestServer.ToNode(obj)));
                if (stopWhen(recorder))
                {
                    return recorder;
                }
            }

            recorder.EndedByServer = true;
        }
        catch (HttpRequestException e) when (e.InnerException is EndOfStreamException)
        {
            // KubernetesClient reports a stream that closed with no line this way: a normal end.
            recorder.EndedByServer = true;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"watch did not reach its stop condition; got {string.Join(", ", recorder.Events.Select(e => e.Type))}");
        }

        return recorder;
    }

    public IEnumerable<string> Describe() =>
        Events.Select(e => $"{e.Type}:{(string?)e.Object["metadata"]?["name"]}");
}
