using System.Text.Json.Serialization;
using ControlPlane.Client;
using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// <c>GET /v1/tenants/{slug}/connection</c> (specification §10): 200 with the connection, or a problem+json refusal
/// (423 suspended, 409 provisioning/deleting, 404 unknown, 503 maintenance with Retry-After). Only authenticated,
/// allow-listed service accounts get here (<see cref="ResolverGate"/>), each within its own rate limit, and only for
/// the Tenants of their grant: any other tenant is answered exactly like an unknown slug.
/// </summary>
internal static class ConnectionEndpoint
{
    public const string Route = "/v1/tenants/{slug}/connection";

    public static IEndpointRouteBuilder MapTenantConnections(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet(Route, ResolveAsync)
            .AddEndpointFilter((invocation, next) => invocation.HttpContext.RequestServices.GetRequiredService<ResolverGate>().InvokeAsync(invocation, next))
            .WithMetadata(ResolverRouteMetadata.Instance)
            .WithName("ResolveTenantConnection");
        return endpoints;
    }

    private static async Task<IResult> ResolveAsync(
        string slug, HttpContext context, TenantConnectionResolver resolver, ILoggerFactory loggers, CancellationToken cancellationToken)
    {
        var logger = loggers.CreateLogger(typeof(ConnectionEndpoint));
        var caller = context.User.Identity?.Name ?? "unknown";
        var grant = ResolverGate.GrantOf(context);
        IReadOnlyCollection<TenantPlacement>? owners = null;
        if (!grant.Everything)
        {
            var directory = context.RequestServices.GetService<ITenantDirectory>();
            if (directory is not { IsReady: true })
            {
                ConnectionProblems.RetryAfter(context, TimeSpan.FromSeconds(5));
                return ConnectionProblems.Result(StatusCodes.Status503ServiceUnavailable, "tenants-not-synced", "Tenants not known yet",
                    "The operator has not listed the Tenant objects yet, so the caller's namespace grant cannot be checked; retry later.", context);
            }

            // Every Tenant that owns the slug must be inside the grant (normally there is exactly one).
            owners = directory.Find(slug);
            if (owners.Count == 0 || !owners.All(grant.Allows))
            {
                Log.OutsideGrant(logger, caller, slug);
                return Answer(new ResolveResult.NotFound(slug), context);
            }
        }

        ResolveResult result;
        try
        {
            result = await resolver.ResolveAsync(slug, cancellationToken);
        }
        catch (TenantResolutionException e)
        {
            Log.ResolveUnavailable(logger, caller, slug, e.Failure.ToString(), e.IsTransient);
            if (e.IsTransient)
            {
                ConnectionProblems.RetryAfter(context, TimeSpan.FromSeconds(5));
            }

            return ConnectionProblems.Result(e.IsTransient ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status500InternalServerError,
                e.Failure == ResolutionFailure.Secret ? "secret-unavailable" : "catalog-unavailable", "Connection unavailable",
                e.Failure == ResolutionFailure.Secret
                    ? "The tenant's database password could not be read from the secret manager."
                    : "The control-plane catalog could not be read.",
                context);
        }

        // The catalog row must be the one the granted Tenant holds: a row re-registered meanwhile by another Tenant is not.
        if (owners is not null && result is ResolveResult.Resolved { Connection: var connection } && !owners.Any(o => o.TenantId == connection.TenantId))
        {
            Log.OutsideGrant(logger, caller, slug);
            result = new ResolveResult.NotFound(slug);
        }

        Log.Resolved(logger, caller, slug, result.GetType().Name);
        return Answer(result, context);
    }

    internal static IResult Answer(ResolveResult result, HttpContext context)
    {
        switch (result)
        {
            case ResolveResult.Resolved { Connection: var c }:
                ConnectionProblems.NoStore(context);
                return Results.Json(new ConnectionBody(
                    c.Host, c.Port, c.Database, c.User, c.Password.Reveal(), c.RevealConnectionString(), c.Tls?.ModeName, c.Tls?.RootCertificate));
            case ResolveResult.Suspended s:
                return ConnectionProblems.Result(StatusCodes.Status423Locked, "tenant-suspended", "Tenant suspended",
                    $"Tenant '{s.Slug}' is suspended{(s.Reason is null ? "." : $": {s.Reason}")}", context,
                    new Dictionary<string, object?> { ["slug"] = s.Slug, ["tenantStatus"] = "suspended", ["reason"] = s.Reason });
            case ResolveResult.NotReady n:
                return ConnectionProblems.Result(StatusCodes.Status409Conflict, "tenant-not-ready", "Tenant not ready",
                    $"Tenant '{n.Slug}' is {n.Status.ToSql()}; its database cannot be used now.", context,
                    new Dictionary<string, object?> { ["slug"] = n.Slug, ["tenantStatus"] = n.Status.ToSql() });
            case ResolveResult.Maintenance m:
                ConnectionProblems.RetryAfter(context, m.RetryAfter);
                return ConnectionProblems.Result(StatusCodes.Status503ServiceUnavailable, "tenant-maintenance", "Tenant in maintenance",
                    $"Tenant '{m.Slug}' is in maintenance; retry later.", context,
                    new Dictionary<string, object?> { ["slug"] = m.Slug, ["tenantStatus"] = "maintenance" });
            case ResolveResult.NotFound f:
                return ConnectionProblems.Result(StatusCodes.Status404NotFound, "tenant-not-found", "Tenant not found",
                    "No live tenant has this slug.", context, new Dictionary<string, object?> { ["slug"] = f.Slug });
            default:
                throw new ArgumentOutOfRangeException(nameof(result), result.GetType().Name, "Unknown resolve result.");
        }
    }

    /// <summary>The 200 body: the one place a password leaves the operator over HTTP.</summary>
    internal sealed record ConnectionBody(
        [property: JsonPropertyName("host")] string Host,
        [property: JsonPropertyName("port")] int Port,
        [property: JsonPropertyName("database")] string Database,
        [property: JsonPropertyName("user")] string User,
        [property: JsonPropertyName("password")] string Password,
        [property: JsonPropertyName("connectionString")] string ConnectionString,
        [property: JsonPropertyName("sslMode"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SslMode,
        [property: JsonPropertyName("sslRootCert"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? SslRootCert);
}
