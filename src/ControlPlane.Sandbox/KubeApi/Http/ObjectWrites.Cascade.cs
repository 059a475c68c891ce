using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Storage;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// What kube-controller-manager would do after a removal, done synchronously: background garbage collection of objects
/// whose <c>ownerReferences</c> name the removed uid, and namespace termination (content deleted, then the namespace).
/// Deletions here honour finalizers like any DELETE.
/// </summary>
internal sealed partial class ObjectWrites
{
    private static readonly HashSet<string> UndeletableNamespaces = ["default", "kube-system", "kube-public"];

    /// <summary>The stored result of a commit and whether it removed the object.</summary>
    private sealed class Committed(JsonObject obj)
    {
        public JsonObject Object { get; } = obj;

        public bool Removed { get; set; }
    }

    private Committed CommitAndCollect(ResourceType type, string ns, string name, Func<JsonObject?, Mutation> decide, bool dryRun = false)
    {
        var removed = false;
        var stored = store.Commit(type.StorageKey, ns, name, current =>
        {
            var mutation = decide(current);
            removed = mutation is Mutation.Remove;
            return mutation;
        }, dryRun);
        if (removed && !dryRun)
        {
            Collect(type, stored);
        }

        return new Committed(stored) { Removed = removed };
    }

    private void Collect(ResourceType type, JsonObject removed)
    {
        var uid = (string?)removed["metadata"]?["uid"];
        foreach (var dependentType in registry.Types.Where(t => !t.CreateOnly))
        {
            foreach (var dependent in store.List(dependentType.StorageKey, null).Items.Where(o => OwnedBy(o, uid)))
            {
                DeleteQuietly(dependentType, dependent);
            }
        }

        if (type.Namespaced && (string?)removed["metadata"]?["namespace"] is { } ns)
        {
            FinishNamespaceIfEmpty(ns);
        }
    }

    private Mutation TerminateNamespace(JsonObject current)
    {
        var name = (string?)current["metadata"]?["name"] ?? string.Empty;
        if (UndeletableNamespaces.Contains(name))
        {
            throw new ApiException(403, "Forbidden", $"namespaces \"{name}\" is forbidden: this namespace may not be deleted",
                new JsonObject { ["name"] = name, ["kind"] = "namespaces" });
        }

        var metadata = ObjectShape.Metadata(current);
        if (metadata["deletionTimestamp"] is not null)
        {
            return new Mutation.Keep();
        }

        metadata["deletionTimestamp"] = ObjectShape.Timestamp(time.GetUtcNow());
        metadata["deletionGracePeriodSeconds"] = 0;
        current["status"] = new JsonObject { ["phase"] = "Terminating" };
        return new Mutation.Put(current);
    }

    private void EmptyNamespace(string ns)
    {
        foreach (var type in registry.Types.Where(t => t.Namespaced))
        {
            foreach (var obj in store.List(type.StorageKey, ns).Items)
            {
                DeleteQuietly(type, obj);
            }
        }

        FinishNamespaceIfEmpty(ns);
    }

    /// <summary>A terminating namespace goes away once the last object in it is gone (finalizers included).</summary>
    private void FinishNamespaceIfEmpty(string ns)
    {
        var namespaces = BuiltInResources.Namespaces;
        if (store.Get(namespaces.StorageKey, string.Empty, ns)?["metadata"]?["deletionTimestamp"] is null
            || registry.Types.Any(t => t.Namespaced && store.List(t.StorageKey, ns).Items.Count > 0))
        {
            return;
        }

        try
        {
            CommitAndCollect(namespaces, string.Empty, ns, current =>
                current?["metadata"]?["deletionTimestamp"] is not null ? new Mutation.Remove(current) : throw StatusBody.NamespaceNotFound(ns));
        }
        catch (ApiException e) when (e.Code == 404)
        {
            // Already finished by a concurrent removal.
        }
    }

    private void DeleteQuietly(ResourceType type, JsonObject obj)
    {
        var route = new ApiRoute(type, type.Versions[0].Name, (string?)obj["metadata"]?["namespace"], (string?)obj["metadata"]?["name"], null);
        try
        {
            Delete(route, null);
        }
        catch (ApiException e) when (e.Code is 404 or 403)
        {
            // Gone already, or a protected namespace: nothing to collect.
        }
    }

    private static bool OwnedBy(JsonObject obj, string? uid) =>
        uid is not null && (obj["metadata"]?["ownerReferences"] as JsonArray ?? []).Any(r => (string?)r?["uid"] == uid);
}
