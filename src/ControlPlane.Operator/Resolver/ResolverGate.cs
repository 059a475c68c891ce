using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// The connection route's own pipeline, in this order (only this route authenticates; no other path ever causes a
/// TokenReview):
/// <list type="number">
/// <item>no bearer token → 401, at no cost;</item>
/// <item>a token with a live cached review is answered from the cache; any other spends from the client address's
/// token bucket first (429 when empty), so an unauthenticated client can cause at most
/// <c>burst + rate × seconds</c> TokenReviews;</item>
/// <item>TokenReview bound to the audience → 401 (invalid, cached briefly) or 503 (API server unavailable / busy);</item>
/// <item>a caller without a grant → 403; a granted caller spends from its own bucket (429).</item>
/// </list>
/// The caller's name and grant are then on <see cref="HttpContext.User"/> and <see cref="HttpContext.Items"/>.
/// </summary>
internal sealed class ResolverGate : IEndpointFilter, IDisposable
{
    private const string Bearer = "Bearer ";
    private static readonly object GrantKey = new();

    private readonly TokenReviewAuthenticator _authenticator;
    private readonly ConnectionEndpointOptions _options;
    private readonly ILogger _logger;
    private readonly PartitionedRateLimiter<IPAddress> _perAddress;
    private readonly PartitionedRateLimiter<string> _perCaller;

    public ResolverGate(TokenReviewAuthenticator authenticator, ConnectionEndpointOptions options, ILoggerFactory loggers)
    {
        _authenticator = authenticator;
        _options = options;
        _logger = loggers.CreateLogger<ResolverGate>();
        _perAddress = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
            RateLimitPartition.GetTokenBucketLimiter(address, _ => Bucket(options.AddressRateLimitPerSecond, options.AddressRateLimitBurst)));
        _perCaller = PartitionedRateLimiter.Create<string, string>(caller =>
            RateLimitPartition.GetTokenBucketLimiter(caller, _ => Bucket(options.RateLimitPerSecond, options.RateLimitBurst)));
    }

    /// <summary>The grant of the caller this request was authenticated as (set by the gate).</summary>
    public static CallerGrant GrantOf(HttpContext context) => (CallerGrant)context.Items[GrantKey]!;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var header = context.Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase) || header.AsSpan(Bearer.Length).Trim().IsEmpty)
        {
            return await UnauthenticatedAsync(context, "No bearer token was presented.");
        }

        var token = header[Bearer.Length..].Trim();
        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (!_authenticator.TryCached(token, out var user))
        {
            using var lease = _perAddress.AttemptAcquire(address);
            if (!lease.IsAcquired)
            {
                Log.AddressRateLimited(_logger, address.ToString(), context.Request.Path);
                return await RateLimitedAsync(context, lease, $"At most {_options.AddressRateLimitPerSecond} unauthenticated requests per second per address.");
            }

            try
            {
                user = await _authenticator.AuthenticateAsync(token, context.RequestAborted);
            }
            catch (TokenReviewUnavailableException e)
            {
                Log.TokenReviewFailed(_logger, context.Request.Path, e.Message);

                // Not the caller's fault: say so, and let it retry rather than discard a good token.
                ConnectionProblems.RetryAfter(context, TimeSpan.FromSeconds(5));
                await ConnectionProblems.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "token-review-unavailable",
                    "Authentication unavailable", "The Kubernetes API server could not review the token now; retry later.");
                return Results.Empty;
            }
        }

        if (user is null)
        {
            return await UnauthenticatedAsync(context, $"The token is not valid for the audience '{_options.Audience}'.");
        }

        if (!_options.Callers.TryGetValue(user, out var grant))
        {
            Log.CallerForbidden(_logger, context.Request.Path, user);
            await ConnectionProblems.WriteAsync(context, StatusCodes.Status403Forbidden, "forbidden", "Caller not allowed",
                "This service account is not on the resolver's allow-list (RESOLVER_CALLERS).");
            return Results.Empty;
        }

        using (var lease = _perCaller.AttemptAcquire(user))
        {
            if (!lease.IsAcquired)
            {
                Log.CallerRateLimited(_logger, user, context.Request.Path);
                return await RateLimitedAsync(context, lease, $"At most {_options.RateLimitPerSecond} resolves per second per caller (burst {_options.RateLimitBurst}).");
            }
        }

        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], "KubernetesServiceAccount"));
        context.Items[GrantKey] = grant;
        return await next(invocation);
    }

    public void Dispose()
    {
        _perAddress.Dispose();
        _perCaller.Dispose();
    }

    private static TokenBucketRateLimiterOptions Bucket(int perSecond, int burst) => new()
    {
        TokenLimit = burst,
        TokensPerPeriod = perSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    private async Task<IResult> UnauthenticatedAsync(HttpContext context, string reason)
    {
        Log.CallerUnauthenticated(_logger, context.Request.Path, context.Connection.RemoteIpAddress?.ToString() ?? "unknown", reason);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        await ConnectionProblems.WriteAsync(context, StatusCodes.Status401Unauthorized, "unauthenticated", "Authentication required",
            reason + $" Present a Kubernetes service account token for the audience '{_options.Audience}' as 'Authorization: Bearer <token>'.");
        return Results.Empty;
    }

    private static async Task<IResult> RateLimitedAsync(HttpContext context, RateLimitLease lease, string detail)
    {
        ConnectionProblems.RetryAfter(context, lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1));
        await ConnectionProblems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests", detail);
        return Results.Empty;
    }
}
