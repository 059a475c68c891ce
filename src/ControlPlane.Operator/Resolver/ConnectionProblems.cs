using System.Globalization;
using Microsoft.AspNetCore.Mvc;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// RFC 9457 problem details for every non-200 answer of the connection endpoint. Bodies carry the slug, the status
/// and the operator's reason at most: never a token, a password, a host or a secret reference.
/// </summary>
internal static class ConnectionProblems
{
    public const string TypeBase = "https://controlplane.econt.io/problems/";

    public static IResult Result(int status, string type, string title, string detail, HttpContext context, IDictionary<string, object?>? extensions = null)
    {
        NoStore(context);
        return Results.Problem(detail: detail, instance: context.Request.Path, statusCode: status, title: title, type: TypeBase + type, extensions: extensions);
    }

    /// <summary>For answers written outside an endpoint (authentication, rate limiting).</summary>
    public static async Task WriteAsync(HttpContext context, int status, string type, string title, string detail)
    {
        NoStore(context);
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(
            new ProblemDetails { Type = TypeBase + type, Title = title, Status = status, Detail = detail, Instance = context.Request.Path },
            options: null, contentType: "application/problem+json", cancellationToken: context.RequestAborted);
    }

    public static void RetryAfter(HttpContext context, TimeSpan delay) =>
        context.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    /// <summary>Connection answers are per caller and may hold a password: no cache, proxy or browser may keep them.</summary>
    public static void NoStore(HttpContext context) => context.Response.Headers.CacheControl = "no-store";
}
