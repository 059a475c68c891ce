using k8s;

namespace ControlPlane.Operator.Runtime;

/// <summary>
/// One event of a watch stream. For <see cref="WatchEventType.Bookmark"/> only <see cref="ResourceVersion"/> is meaningful
/// and <see cref="Resource"/> is null.
/// </summary>
public sealed record WatchEvent<T>(WatchEventType Type, T? Resource, string ResourceVersion)
    where T : class;

/// <summary>One page of a LIST: its items, the list's resourceVersion and the continue token (null on the last page).</summary>
public sealed record ResourcePage<T>(IReadOnlyList<T> Items, string ResourceVersion, string? Continue);
