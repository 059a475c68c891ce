using System.Text.RegularExpressions;

namespace ControlPlane.Operator.Resolver;

/// <summary>Who may call <c>GET /v1/tenants/{slug}/connection</c> and how often; read by <see cref="ResolverConfiguration.ReadEndpoint"/>.</summary>
internal sealed partial class ConnectionEndpointOptions
{
    /// <summary>
    /// Service accounts allowed to resolve, as Kubernetes names their users: <c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>
    /// (<c>RESOLVER_ALLOWED_SERVICE_ACCOUNTS</c>). Empty means nobody: every caller gets 403.
    /// </summary>
    public HashSet<string> AllowedServiceAccounts { get; } = new(StringComparer.Ordinal);

    /// <summary>How long a successful TokenReview is reused for the same token (<c>RESOLVER_TOKEN_REVIEW_CACHE_SECONDS</c>, default 30 s).</summary>
    public TimeSpan TokenReviewCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Sustained requests per second per caller (<c>RESOLVER_RATE_LIMIT_PER_SECOND</c>, default 200).</summary>
    public int RateLimitPerSecond { get; set; } = 200;

    /// <summary>Requests a caller may make at once above the sustained rate (<c>RESOLVER_RATE_LIMIT_BURST</c>, default 400).</summary>
    public int RateLimitBurst { get; set; } = 400;

    public static bool IsServiceAccountName(string name) => ServiceAccount().IsMatch(name);

    [GeneratedRegex("^system:serviceaccount:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?:[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex ServiceAccount();
}
