using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Schema;
using ControlPlane.Sandbox.KubeApi.Storage;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>The write pipeline shared by create, update and patch: what is asked, what is stored, and the checks between.</summary>
internal sealed partial class ObjectWrites
{
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
            CelRules.Check(candidate, current, schema, string.Empty, insideArray: false, errors);
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
}
