using k8s;

namespace ControlPlane.Runtime;

/// <summary>
/// One event of a watch stream. For <see cref="WatchEventType.Bookmark"/> only <see cref="ResourceVersion"/> is meaningful
/// and <see cref="Resource"/> is null. A stream starts with an <see cref="IsOpening"/> bookmark once the server accepted
/// the watch (HTTP 200), before any event.
/// </summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Resource, string ResourceVersion)
    where T : class
{
    /// <summary>True for the marker that says the watch is established.</summary>
    public bool IsOpening { get; init; }

    /// <summary>The marker of an established watch, at the resourceVersion it started from.</summary>
    public static WatchEvent<T> Opened(string resourceVersion) => new(WatchEventType.Bookmark, null, resourceVersion) { IsOpening = true };
}

/// <summary>One page of a LIST: its items, the list's resourceVersion and the continue token (null on the last page).</summary>
public sealed record ResourcePage<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue);
