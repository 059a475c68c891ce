using System.Text.Json.Nodes;

namespace ControlPlane.Sandbox.KubeApi.Storage;

/// <summary>A committed change kept in the bounded history. Objects are snapshots that are never mutated.</summary>
internal sealed record WatchEvent(long ResourceVersion, string StorageKey, string Namespace, string Type, JsonObject Object, JsonObject? Previous);

/// <summary>One line of a watch stream before the object is rendered in the watcher's API version.</summary>
internal sealed record WatchFrame(string Type, JsonObject Object);
