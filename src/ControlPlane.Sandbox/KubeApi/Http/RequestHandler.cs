using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;
using ControlPlane.Sandbox.KubeApi.Faults;
using ControlPlane.Sandbox.KubeApi.Http.Rbac;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Storage;
using Microsoft.AspNetCore.Http;

namespace ControlPlane.Sandbox.KubeApi.Http;

/// <summary>
/// The one request pipeline: record, delay, inject faults, route, authenticate and authorize (with an authorizer), serve, and
/// turn failures into Status bodies.
/// </summary>
internal sealed class RequestHandler(
    ResourceRegistry registry,
    ObjectStore store,
    ObjectWrites writes,
    WatchStream watches,
    TokenReviews tokens,
    FaultInjector faults,
    Func<TimeSpan> latency,
    TimeProvider time,
    RbacAuthorizer? authorizer,
    CancellationToken serverStopping)
{
    /// <summary>The audience a projected token must carry to be accepted by this server itself.</summary>
    public const string ApiAudience = "https://kubernetes.default.svc";

    public ConcurrentQueue<RecordedRequest> Log { get; } = new();

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var route = ApiRoute.Parse(registry, segments) is { } parsed
            ? parsed with { DryRun = request.Query["dryRun"].ToString() == "All" }
            : null;
        var watch = request.Query["watch"].ToString() is "true" or "1";
        var verb = route?.Verb(request.Method, watch) ?? request.Method.ToLowerInvariant();
        var record = new RecordedRequest(verb, request.Method, path, request.QueryString.Value ?? string.Empty, request.Headers.UserAgent.ToString() is { Length: > 0 } ua ? ua : null);
        Log.Enqueue(record);
        try
        {
            if (latency() is { } delay && delay > TimeSpan.Zero)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            if (faults.Take(verb, path) is { } fault)
            {
                throw new ApiException(fault.StatusCode, StatusBody.ReasonFor(fault.StatusCode), $"injected fault: {fault.StatusCode.ToString(CultureInfo.InvariantCulture)} for {verb} {path}",
                    fault.RetryAfter is { } r ? new JsonObject { ["retryAfterSeconds"] = (int)Math.Ceiling(r.TotalSeconds) } : null)
                { RetryAfter = fault.RetryAfter };
            }

            var caller = authorizer is null ? null : Authorize(context, route, verb, path);
            if (route is null)
            {
                await ServeNonResourceAsync(context, segments);
            }
            else if (verb == "watch")
            {
                record.StatusCode = 200;
                await watches.RunAsync(context, route, serverStopping);
            }
            else
            {
                await ServeResourceAsync(context, route, verb, caller);
            }
        }
        catch (ApiException e) when (!context.Response.HasStarted)
        {
            if (e.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = ((int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            }

            await WriteJsonAsync(context, e.Code, e.ToStatus());
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
        {
            // A defect of this server: say so in a Status the test output shows, instead of an empty 500.
            await WriteJsonAsync(context, 500, StatusBody.Failure(500, "InternalError", $"test API server defect: {e}"));
        }

        record.StatusCode = context.Response.StatusCode;
    }

    /// <summary>Authenticates the bearer token and asks the authorizer, throwing 401 or 403 as kube-apiserver answers.</summary>
    private UserInfo Authorize(HttpContext context, ApiRoute? route, string verb, string path)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var caller = UserInfo.Anonymous;
        if (header.Length > 0)
        {
            caller = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && tokens.Authenticate(header["Bearer ".Length..].Trim(), ApiAudience) is { } user
                ? user
                : throw new ApiException(401, "Unauthorized", "Unauthorized");
        }

        var attributes = route is null
            ? RequestAttributes.ForPath(verb, path)

            // kube-apiserver names the namespace of a request on a Namespace object after the object itself.
            : RequestAttributes.ForResource(verb, route.Type.Group, route.Type.Plural, route.Subresource,
                route.Type == BuiltInResources.Namespaces ? route.Name : route.Namespace, route.Name);
        if (!authorizer!.Authorize(caller, attributes).Allowed)
        {
            var details = route is null ? null : new JsonObject { ["name"] = route.Name ?? string.Empty, ["group"] = route.Type.Group, ["kind"] = route.Type.Plural };
            throw new ApiException(403, "Forbidden", attributes.ForbiddenMessage(caller), details);
        }

        return caller;
    }

    private async Task ServeResourceAsync(HttpContext context, ApiRoute route, string verb, UserInfo? caller)
    {
        var type = route.Type;
        if (route.Subresource is not null && (route.Subresource != "status" || !type.HasStatusSubresource))
        {
            throw StatusBody.UnknownPath();
        }

        if (type.CreateOnly)
        {
            if (verb != "create")
            {
                throw StatusBody.MethodNotAllowed(context.Request.Method, type);
            }

            var review = await ReadObjectAsync(context);
            await WriteJsonAsync(context, 201, type == BuiltInResources.SelfSubjectAccessReviews ? AccessReviews.Review(review, caller, authorizer) : tokens.Review(review));
            return;
        }

        if (type.ReadOnly && verb is not ("get" or "list"))
        {
            throw StatusBody.MethodNotAllowed(context.Request.Method, type);
        }

        switch (verb)
        {
            case "get":
                var stored = store.Get(type.StorageKey, route.Namespace ?? string.Empty, route.Name!) ?? throw StatusBody.NotFound(type, route.Name!);
                var rendered = ObjectShape.Render(stored, type, route.Version);
                await WriteJsonAsync(context, 200, AsTable(context, route, [rendered], new JsonObject { ["resourceVersion"] = ObjectShape.ResourceVersion(rendered) }) ?? rendered);
                break;
            case "list":
                // Custom resource items are already rendered in the requested version, and only custom resources answer a Table.
                var list = ListQuery.List(store, route, context.Request.Query);
                await WriteJsonAsync(context, 200, AsTable(context, route, ((JsonArray)list["items"]!).OfType<JsonObject>().ToList(), (JsonObject)list["metadata"]!) ?? list);
                break;
            case "create" when route.Name is null:
                await WriteJsonAsync(context, 201, writes.Create(route, await ReadObjectAsync(context)));
                break;
            case "update":
                var (updated, created) = writes.Update(route, await ReadObjectAsync(context));
                await WriteJsonAsync(context, created ? 201 : 200, updated);
                break;
            case "patch":
                var contentType = (context.Request.ContentType ?? string.Empty).Split(';')[0].Trim();
                await WriteJsonAsync(context, 200, writes.Patch(route, contentType, await ReadNodeAsync(context)));
                break;
            case "delete":
                var (deleted, removed) = writes.Delete(route, await ReadNodeAsync(context) as JsonObject);
                var answer = removed && !type.IsCustom
                    ? StatusBody.Success(type, route.Name!, (string?)deleted["metadata"]?["uid"])
                    : deleted;
                await WriteJsonAsync(context, 200, answer);
                break;
            case "deletecollection":
                await WriteJsonAsync(context, 200, DeleteCollection(context, route));
                break;
            default:
                throw StatusBody.MethodNotAllowed(context.Request.Method, type);
        }
    }

    /// <summary>The Table kubectl asks for, for custom resources only; built-in kinds answer plain JSON and kubectl prints NAME and AGE.</summary>
    private JsonObject? AsTable(HttpContext context, ApiRoute route, IReadOnlyList<JsonObject> objects, JsonObject metadata) =>
        route.Type.IsCustom && TableView.Requested(context.Request.Headers.Accept.ToString())
            ? TableView.Build(route.Type, route.Version, objects, metadata, context.Request.Query["includeObject"], time.GetUtcNow())
            : null;

    private JsonObject DeleteCollection(HttpContext context, ApiRoute route)
    {
        var list = ListQuery.List(store, route, context.Request.Query);
        var deleted = new JsonArray();
        foreach (var item in ((JsonArray)list["items"]!).OfType<JsonObject>())
        {
            var itemRoute = route with { Namespace = (string?)item["metadata"]?["namespace"] ?? route.Namespace, Name = (string?)item["metadata"]?["name"] };
            try
            {
                deleted.Add(writes.Delete(itemRoute, null).Object);
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Deleted concurrently: the collection delete still succeeds.
            }
        }

        list["items"] = deleted;
        return list;
    }

    private async Task ServeNonResourceAsync(HttpContext context, string[] segments)
    {
        if (context.Request.Method != "GET")
        {
            throw StatusBody.UnknownPath();
        }

        JsonNode? document = segments switch
        {
            ["version"] => Discovery.Version(),
            ["api"] => Discovery.CoreVersions($"{context.Request.Host}"),
            ["api", var v] => Discovery.Resources(registry, string.Empty, v),
            ["apis"] => Discovery.Groups(registry),
            ["apis", var g] => Discovery.Group(registry, g),
            ["apis", var g, var v] => Discovery.Resources(registry, g, v),
            ["openapi", "v3"] => OpenApiV3.Index(registry),
            ["openapi", "v3", "api", var v] => OpenApiV3.GroupVersion(registry, string.Empty, v),
            ["openapi", "v3", "apis", var g, var v] => OpenApiV3.GroupVersion(registry, g, v),
            ["healthz" or "livez" or "readyz"] => null,
            _ => throw StatusBody.UnknownPath(),
        };
        if (segments is ["healthz" or "livez" or "readyz"])
        {
            context.Response.ContentType = "text/plain";
            await context.Response.WriteAsync("ok", context.RequestAborted);
            return;
        }

        await WriteJsonAsync(context, 200, document ?? throw StatusBody.UnknownPath());
    }

    private static async Task<JsonObject> ReadObjectAsync(HttpContext context) =>
        await ReadNodeAsync(context) as JsonObject ?? throw StatusBody.BadRequest("the request body must be a JSON object");

    private static async Task<JsonNode?> ReadNodeAsync(HttpContext context)
    {
        var mediaType = (context.Request.ContentType ?? string.Empty).Split(';')[0].Trim();
        if (mediaType.Contains("protobuf", StringComparison.Ordinal) || mediaType.Contains("cbor", StringComparison.Ordinal) || mediaType.Contains("yaml", StringComparison.Ordinal))
        {
            throw new ApiException(415, "UnsupportedMediaType", $"the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/json-patch+json (got {mediaType})");
        }

        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var text = await reader.ReadToEndAsync(context.RequestAborted);
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw StatusBody.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static async Task WriteJsonAsync(HttpContext context, int statusCode, JsonNode document)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";

        // UTF-8 straight into the response's buffers: a list page of 500 Tenants is ~185 KB, which as a string was twice
        // that and then transcoded. Disposing a writer over a buffer writer only commits what it wrote; the flush sends it.
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            document.WriteTo(writer);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
