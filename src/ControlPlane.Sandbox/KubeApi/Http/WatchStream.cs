using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Selectors;
using ControlPlane.Sandbox.KubeApi.Storage;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// WATCH: a 200 chunked stream of newline-delimited <c>{"type":…,"object":…}</c> lines, each flushed. An expired
/// resourceVersion is answered in-stream with an ERROR Status 410 and the stream closes; <c>timeoutSeconds</c> ends it cleanly.
/// </summary>
internal sealed class WatchStream(ObjectStore store, TimeSpan bookmarkInterval, TimeProvider time)
{
    private static readonly byte[] NewLine = "\n"u8.ToArray();

    public async Task RunAsync(HttpContext context, ApiRoute route, CancellationToken serverStopping)
    {
        var query = context.Request.Query;
        var labels = LabelSelector.Parse(query["labelSelector"]);
        var fields = FieldSelector.Parse(query["fieldSelector"]);
        var from = ParseResourceVersion(query["resourceVersion"]);
        var bookmarks = IsTrue(query["allowWatchBookmarks"]);
        var initialEvents = IsTrue(query["sendInitialEvents"]);
        using var watcher = new Watcher(route.Type.StorageKey, route.Namespace, labels, fields);
        // kubectl get -w asks for Tables: each event then carries a one-row Table, as kube-apiserver sends it.
        Func<JsonObject, JsonObject> render = route.Type.IsCustom && TableView.Requested(context.Request.Headers.Accept.ToString())
            ? obj => TableView.Build(route.Type, route.Version, [obj], new JsonObject { ["resourceVersion"] = ObjectShape.ResourceVersion(obj) }, query["includeObject"], time.GetUtcNow())
            : obj => obj;

        context.Response.StatusCode = 200;
        context.Response.ContentType = "application/json";
        await context.Response.StartAsync(context.RequestAborted);

        // StartAsync does not send the headers; kube-apiserver flushes them before any event. Clients take the 200 as
        // "watch established" (the informer resets its backoff on it) and kubectl's --request-timeout runs until it
        // arrives: a watch nothing happens on never answered, and kubectl retried it for half a minute.
        await context.Response.Body.FlushAsync(context.RequestAborted);

        if (store.Watch(watcher, initialEvents ? null : from, out var compactedThrough) is null)
        {
            var status = StatusBody.Failure(410, "Expired",
                $"too old resource version: {from} ({compactedThrough.ToString(CultureInfo.InvariantCulture)})");
            await WriteAsync(context, new WatchFrame("ERROR", status), route, render, CancellationToken.None);
            return;
        }

        try
        {
            if (initialEvents && bookmarks)
            {
                // sendInitialEvents: the initial ADDED events end with a bookmark annotated k8s.io/initial-events-end.
                var template = BookmarkObject(route);
                ((JsonObject)template["metadata"]!)["annotations"] = new JsonObject { ["k8s.io/initial-events-end"] = "true" };
                store.Bookmark(watcher, template);
            }

            await PumpAsync(context, route, render, watcher, bookmarks, Timeout(query["timeoutSeconds"]), serverStopping);
        }
        finally
        {
            store.Unwatch(watcher);
        }
    }

    private async Task PumpAsync(HttpContext context, ApiRoute route, Func<JsonObject, JsonObject> render, Watcher watcher, bool bookmarks, TimeSpan? timeout, CancellationToken serverStopping)
    {
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, watcher.Dropped, serverStopping);
        if (timeout is { } after)
        {
            ending.CancelAfter(after);
        }

        try
        {
            while (!ending.IsCancellationRequested)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(ending.Token);
                idle.CancelAfter(bookmarkInterval);
                try
                {
                    await watcher.Frames.WaitToReadAsync(idle.Token);
                }
                catch (OperationCanceledException) when (!ending.IsCancellationRequested)
                {
                    if (bookmarks)
                    {
                        store.Bookmark(watcher, BookmarkObject(route));
                    }

                    continue;
                }

                while (watcher.Frames.TryRead(out var frame))
                {
                    await WriteAsync(context, frame, route, render, ending.Token);
                }
            }
        }
        catch (OperationCanceledException) when (ending.IsCancellationRequested)
        {
            // Timeout, client gone, server stopping or a dropped watch: the stream ends.
        }

        if (watcher.AbortConnection && watcher.Dropped.IsCancellationRequested)
        {
            context.Abort();
        }
    }

    private static async Task WriteAsync(HttpContext context, WatchFrame frame, ApiRoute route, Func<JsonObject, JsonObject> render, CancellationToken cancellationToken)
    {
        var obj = frame.Type is "ERROR" or "BOOKMARK" ? frame.Object : render(ObjectShape.Render(frame.Object, route.Type, route.Version));
        var line = new JsonObject { ["type"] = frame.Type, ["object"] = obj.DeepClone() }.ToJsonString();
        await context.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), cancellationToken);
        await context.Response.Body.WriteAsync(NewLine, cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
    }

    private static JsonObject BookmarkObject(ApiRoute route) => new()
    {
        ["kind"] = route.Type.Kind,
        ["apiVersion"] = route.Type.ApiVersion(route.Version),
        ["metadata"] = new JsonObject(),
    };

    private static long? ParseResourceVersion(string? text) => text switch
    {
        null or "" or "0" => null,
        _ when long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rv) => rv,
        _ => throw StatusBody.BadRequest($"resourceVersion: Invalid value: \"{text}\": must be a valid resource version"),
    };

    private static TimeSpan? Timeout(string? text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds > 0 ? TimeSpan.FromSeconds(seconds) : null;

    private static bool IsTrue(string? text) => text is "true" or "1";
}
