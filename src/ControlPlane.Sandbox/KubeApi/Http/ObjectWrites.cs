using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Patching;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Storage;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// Create, update, patch and delete with kube-apiserver's semantics. Every decision happens inside
/// <see cref="ObjectStore.Commit"/>, so a precondition check and the write it guards are atomic.
/// </summary>
internal sealed partial class ObjectWrites(ObjectStore store, ResourceRegistry registry, TimeProvider time)
{
    public JsonObject Create(ApiRoute route, JsonObject body)
    {
        var type = route.Type;
        CheckKind(route, body);
        var metadata = ObjectShape.Metadata(body);
        var ns = Namespace(route, metadata, creating: true);
        if (ObjectShape.ResourceVersion(body) is { Length: > 0 })
        {
            throw StatusBody.BadRequest("resourceVersion should not be set on objects to be created");
        }

        var name = (string?)metadata["name"];
        if (string.IsNullOrEmpty(name) && (string?)metadata["generateName"] is { Length: > 0 } prefix)
        {
            name = prefix + RandomSuffix();
        }

        if (string.IsNullOrEmpty(name))
        {
            throw StatusBody.Invalid(type, string.Empty, [FieldError.Required("metadata.name") with { Body = "Required value: name or generateName is required" }]);
        }

        var created = store.Commit(type.StorageKey, ns, name, current =>
            current is null ? new Mutation.Put(Ordered(NewObject(route, body, name))) : throw StatusBody.AlreadyExists(type, name), route.DryRun);
        return ObjectShape.Render(created, type, route.Version);
    }

    public (JsonObject Object, bool Created) Update(ApiRoute route, JsonObject body)
    {
        var type = route.Type;
        CheckKind(route, body);
        var metadata = ObjectShape.Metadata(body);
        var name = route.Name!;
        if ((string?)metadata["name"] is { } bodyName && bodyName != name)
        {
            throw StatusBody.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var ns = Namespace(route, metadata, creating: false);
        var created = false;
        var stored = CommitAndCollect(type, ns, name, current =>
        {
            if (current is null)
            {
                if (route.Subresource is not null || !type.AllowCreateOnUpdate)
                {
                    throw StatusBody.NotFound(type, name);
                }

                created = true;
                return new Mutation.Put(Ordered(NewObject(route, body, name)));
            }

            var requested = ObjectShape.ResourceVersion(body);
            if (string.IsNullOrEmpty(requested))
            {
                if (type.IsCustom)
                {
                    throw StatusBody.Invalid(type, name,
                        [FieldError.Invalid("metadata.resourceVersion", JsonValue.Create("0x0"), "must be specified for an update") with { Body = "Invalid value: 0x0: must be specified for an update" }]);
                }
            }
            else if (requested != ObjectShape.ResourceVersion(current))
            {
                throw StatusBody.Conflict(type, name);
            }

            return Finish(route, current, Candidate(route, current, body));
        }, route.DryRun);
        return (ObjectShape.Render(stored.Object, type, route.Version), created);
    }

    public JsonObject Patch(ApiRoute route, string contentType, JsonNode? patch)
    {
        var type = route.Type;
        var name = route.Name!;
        var stored = CommitAndCollect(type, route.Namespace ?? string.Empty, name, current =>
        {
            if (current is null)
            {
                throw StatusBody.NotFound(type, name);
            }

            var document = ObjectShape.Render(current, type, route.Version);
            var patched = contentType switch
            {
                "application/merge-patch+json" => MergePatch.Apply(document, patch),
                "application/strategic-merge-patch+json" when !type.IsCustom => MergePatch.Apply(document, MergePatch.WithoutDirectives(patch)),
                "application/json-patch+json" => JsonPatch.Apply(document, patch),
                _ => throw UnsupportedPatch(contentType),
            } as JsonObject ?? throw StatusBody.BadRequest("the patch did not produce an object");
            var requested = ObjectShape.ResourceVersion(patched);
            if (!string.IsNullOrEmpty(requested) && requested != ObjectShape.ResourceVersion(current))
            {
                throw StatusBody.Conflict(type, name);
            }

            if ((string?)patched["metadata"]?["name"] != name)
            {
                throw StatusBody.BadRequest($"the name of the object ({(string?)patched["metadata"]?["name"]}) does not match the name on the URL ({name})");
            }

            return Finish(route, current, Candidate(route, current, patched));
        }, route.DryRun);
        return ObjectShape.Render(stored.Object, type, route.Version);
    }

    /// <summary>DELETE: immediate without finalizers; otherwise deletionTimestamp is set once and generation bumps.</summary>
    public (JsonObject Object, bool Removed) Delete(ApiRoute route, JsonObject? options)
    {
        var type = route.Type;
        var name = route.Name!;
        var terminating = false;
        var stored = CommitAndCollect(type, route.Namespace ?? string.Empty, name, current =>
        {
            if (current is null)
            {
                throw StatusBody.NotFound(type, name);
            }

            CheckPreconditions(type, name, current, options?["preconditions"] as JsonObject);
            if (type == BuiltInResources.Namespaces)
            {
                terminating = true;
                return TerminateNamespace(current);
            }

            if (ObjectShape.Finalizers(current).Count == 0)
            {
                return new Mutation.Remove(current);
            }

            var metadata = ObjectShape.Metadata(current);
            if (metadata["deletionTimestamp"] is not null)
            {
                return new Mutation.Keep();
            }

            metadata["deletionTimestamp"] = ObjectShape.Timestamp(time.GetUtcNow());
            metadata["deletionGracePeriodSeconds"] = 0;
            if (type.IsCustom)
            {
                metadata["generation"] = ((long?)metadata["generation"] ?? 0) + 1;
            }

            return new Mutation.Put(current);
        }, route.DryRun);
        if (terminating && !route.DryRun)
        {
            EmptyNamespace(name);
            stored.Removed = store.Get(type.StorageKey, string.Empty, name) is null;
        }

        return (ObjectShape.Render(stored.Object, type, route.Version), stored.Removed);
    }
}
