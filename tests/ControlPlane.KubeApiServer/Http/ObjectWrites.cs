using System.Security.Cryptography;
using System.Text.Json.Nodes;
using ControlPlane.KubeApi.Api;
using ControlPlane.KubeApi.Patching;
using ControlPlane.KubeApi.Resources;
using ControlPlane.KubeApi.Schema;
using ControlPlane.KubeApi.Storage;

namespace ControlPlane.KubeApi.Http;

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
            current is null ? new Mutation.Put(Ordered(NewObject(route, body, name))) : throw StatusBody.AlreadyExists(type, name));
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
        });
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
        });
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
        });
        if (terminating)
        {
            EmptyNamespace(name);
            stored.Removed = store.Get(type.StorageKey, string.Empty, name) is null;
        }

        return (ObjectShape.Render(stored.Object, type, route.Version), stored.Removed);
    }

    private static void CheckPreconditions(ResourceType type, string name, JsonObject current, JsonObject? preconditions)
    {
        var metadata = ObjectShape.Metadata(current);
        if ((string?)preconditions?["uid"] is { Length: > 0 } uid && uid != (string?)metadata["uid"])
        {
            throw StatusBody.PreconditionConflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {(string?)metadata["uid"]}");
        }

        if ((string?)preconditions?["resourceVersion"] is { Length: > 0 } rv && rv != (string?)metadata["resourceVersion"])
        {
            throw StatusBody.PreconditionConflict(type, name,
                $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {(string?)metadata["resourceVersion"]}");
        }
    }

    /// <summary>
    /// What a write asks to store: a <c>/status</c> write keeps everything of the current object but <c>.status</c>;
    /// a main-resource write keeps the current <c>.status</c> when the status subresource is enabled.
    /// </summary>
    private static JsonObject Candidate(ApiRoute route, JsonObject current, JsonObject requested)
    {
        if (route.Subresource == "status")
        {
            var candidate = (JsonObject)current.DeepClone();
            candidate.Remove("status");
            if (requested["status"] is { } status)
            {
                candidate["status"] = status.DeepClone();
            }

            return candidate;
        }

        if (route.Type.HasStatusSubresource)
        {
            requested.Remove("status");
            if (current["status"] is { } currentStatus)
            {
                requested["status"] = currentStatus.DeepClone();
            }
        }

        return requested;
    }

    private Mutation Finish(ApiRoute route, JsonObject current, JsonObject candidate)
    {
        var type = route.Type;
        var metadata = ObjectShape.Metadata(candidate);
        var currentMetadata = ObjectShape.Metadata(current);
        foreach (var serverField in new[] { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion" })
        {
            metadata.Remove(serverField);
            if (currentMetadata[serverField] is { } value)
            {
                metadata[serverField] = value.DeepClone();
            }
        }

        metadata.Remove("managedFields");
        metadata.Remove("selfLink");
        candidate["apiVersion"] = current["apiVersion"]?.DeepClone();
        candidate["kind"] = current["kind"]?.DeepClone();
        var errors = Prepare(route, candidate, current, throwOnErrors: false);
        ObjectMetaRules.ValidateFinalizers(candidate, current, errors);
        if (errors.Count > 0)
        {
            throw StatusBody.Invalid(type, route.Name!, errors);
        }

        if (type.IsCustom && !JsonNode.DeepEquals(
                ObjectShape.Content(candidate, type.HasStatusSubresource),
                ObjectShape.Content(current, type.HasStatusSubresource)))
        {
            metadata["generation"] = ((long?)currentMetadata["generation"] ?? 0) + 1;
        }

        var ordered = Ordered(candidate);
        if (JsonNode.DeepEquals(ordered, Ordered((JsonObject)current.DeepClone())))
        {
            return new Mutation.Keep();
        }

        if (metadata["deletionTimestamp"] is not null && ObjectShape.Finalizers(ordered).Count == 0)
        {
            return new Mutation.Remove(ordered);
        }

        return new Mutation.Put(ordered);
    }

    /// <summary>The type's write pipeline: for custom resources prune, default, validate the schema and the immutability rules.</summary>
    private static List<FieldError> Prepare(ApiRoute route, JsonObject candidate, JsonObject? current, bool throwOnErrors = true)
    {
        var type = route.Type;
        var errors = new List<FieldError>();
        ObjectMetaRules.ValidateName(type, (string?)candidate["metadata"]?["name"] ?? string.Empty, errors);
        if (type.FindVersion(route.Version)?.Schema is { } schema)
        {
            SchemaPruner.PruneRoot(candidate, schema);
            SchemaDefaulter.Apply(candidate, schema);
            errors.AddRange(SchemaValidator.ValidateRoot(candidate, schema));
            if (current is not null)
            {
                TransitionRules.Check(candidate, current, schema, string.Empty, errors);
            }
        }

        BuiltInRules.Prepare(type, candidate, current, errors);
        if (throwOnErrors && errors.Count > 0)
        {
            throw StatusBody.Invalid(type, (string?)candidate["metadata"]?["name"] ?? string.Empty, errors);
        }

        return errors;
    }

    /// <summary>A new object as create (or create-on-update) stores it: server fields set, status dropped, pipeline run.</summary>
    private JsonObject NewObject(ApiRoute route, JsonObject body, string name)
    {
        var metadata = ObjectShape.Metadata(body);
        metadata["name"] = name;
        foreach (var serverField in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "resourceVersion", "selfLink", "managedFields" })
        {
            metadata.Remove(serverField);
        }

        if (route.Type.HasStatusSubresource)
        {
            body.Remove("status");
        }

        Prepare(route, body, current: null);
        metadata["uid"] = Guid.NewGuid().ToString();
        metadata["creationTimestamp"] = ObjectShape.Timestamp(time.GetUtcNow());
        if (route.Type.IsCustom)
        {
            metadata["generation"] = 1L;
        }

        return body;
    }

    private string Namespace(ApiRoute route, JsonObject metadata, bool creating)
    {
        if (!route.Type.Namespaced)
        {
            metadata.Remove("namespace");
            return string.Empty;
        }

        var ns = route.Namespace ?? throw StatusBody.BadRequest("the namespace of the object is required on a namespaced resource path");
        if ((string?)metadata["namespace"] is { Length: > 0 } bodyNamespace && bodyNamespace != ns)
        {
            throw StatusBody.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        var namespaceObject = store.Get(BuiltInResources.Namespaces.StorageKey, string.Empty, ns) ?? throw StatusBody.NamespaceNotFound(ns);
        if (creating && namespaceObject["metadata"]?["deletionTimestamp"] is not null)
        {
            throw new ApiException(403, "Forbidden",
                $"{route.Type.GroupResource} \"{(string?)metadata["name"] ?? (string?)metadata["generateName"]}\" is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                new JsonObject { ["name"] = (string?)metadata["name"], ["kind"] = route.Type.Plural });
        }

        metadata["namespace"] = ns;
        return ns;
    }

    private static void CheckKind(ApiRoute route, JsonObject body)
    {
        var kind = (string?)body["kind"];
        var apiVersion = (string?)body["apiVersion"];
        if ((kind is not null && kind != route.Type.Kind) || (apiVersion is not null && apiVersion != route.Type.ApiVersion(route.Version)))
        {
            throw StatusBody.BadRequest(
                $"the API version in the data ({apiVersion}) does not match the expected API version ({route.Type.ApiVersion(route.Version)}) or kind ({kind}) does not match {route.Type.Kind}");
        }
    }

    /// <summary>apiVersion, kind, metadata first, then the rest in the order given.</summary>
    private static JsonObject Ordered(JsonObject obj)
    {
        var ordered = new JsonObject();
        foreach (var key in new[] { "apiVersion", "kind", "metadata" }.Concat(obj.Select(p => p.Key)).Distinct().ToList())
        {
            if (obj.TryGetPropertyValue(key, out var value))
            {
                obj.Remove(key);
                ordered[key] = value;
            }
        }

        return ordered;
    }

    private static ApiException UnsupportedPatch(string contentType) => new(415, "UnsupportedMediaType",
        contentType == "application/apply-patch+yaml"
            ? "server-side apply (application/apply-patch+yaml) is not supported by this test API server"
            : $"the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json{(contentType.Length == 0 ? string.Empty : " (got " + contentType + ")")}");

    private static string RandomSuffix()
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        return string.Create(5, alphabet, (span, chars) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = chars[RandomNumberGenerator.GetInt32(chars.Length)];
            }
        });
    }
}
