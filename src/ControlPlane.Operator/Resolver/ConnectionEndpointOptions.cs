using System.Text.RegularExpressions;

namespace ControlPlane.Operator.Resolver;

/// <summary>Who may call <c>GET /v1/tenants/{slug}/connection</c>, for which tenants, and how often; read by <see cref="ResolverConfiguration.ReadEndpoint"/>.</summary>
internal sealed partial class ConnectionEndpointOptions
{
    public const string DefaultAudience = "controlplane.econt.io";

    /// <summary>
    /// The callers and what each may resolve (<c>RESOLVER_CALLERS</c>), keyed by the service account's user name
    /// <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>. Empty means nobody: every caller gets 403.
    /// </summary>
    public Dictionary<string, CallerGrant> Callers { get; } = new(StringComparer.Ordinal);

    /// <summary>The audience every caller's token must be bound to (<c>RESOLVER_TOKEN_AUDIENCE</c>, default <c>controlplane.econt.io</c>).</summary>
    public string Audience { get; set; } = DefaultAudience;

    /// <summary>How long a successful TokenReview is reused for the same token (<c>RESOLVER_TOKEN_REVIEW_CACHE_SECONDS</c>, default 30 s).</summary>
    public TimeSpan TokenReviewCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long a refused token is answered 401 without asking again (<c>RESOLVER_TOKEN_REVIEW_FAILURE_CACHE_SECONDS</c>, default 10 s).</summary>
    public TimeSpan FailedReviewCacheDuration { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>TokenReviews in flight at most (<c>RESOLVER_TOKEN_REVIEW_CONCURRENCY</c>, default 4).</summary>
    public int TokenReviewConcurrency { get; set; } = 4;

    /// <summary>Sustained requests per second per caller (<c>RESOLVER_RATE_LIMIT_PER_SECOND</c>, default 200).</summary>
    public int RateLimitPerSecond { get; set; } = 200;

    /// <summary>Requests a caller may make at once above the sustained rate (<c>RESOLVER_RATE_LIMIT_BURST</c>, default 400).</summary>
    public int RateLimitBurst { get; set; } = 400;

    /// <summary>
    /// Sustained requests per second per client address, counted before authentication
    /// (<c>RESOLVER_ADDRESS_RATE_LIMIT_PER_SECOND</c>, default 20). Only requests that need a TokenReview count:
    /// a token already reviewed (cached) does not spend from it.
    /// </summary>
    public int AddressRateLimitPerSecond { get; set; } = 20;

    /// <summary>Burst of the per-address limit (<c>RESOLVER_ADDRESS_RATE_LIMIT_BURST</c>, default 40).</summary>
    public int AddressRateLimitBurst { get; set; } = 40;

    public static bool IsServiceAccountName(string name) => ServiceAccount().IsMatch(name);

    [GeneratedRegex("^system:serviceaccount:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ServiceAccount();
}
