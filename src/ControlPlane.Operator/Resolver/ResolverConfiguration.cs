using System.Globalization;
using ControlPlane.Client;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Resolver;

/// <summary>Reads the resolver's and its endpoint's settings from flat configuration keys (environment variables, docs/resolver.md).</summary>
internal static class ResolverConfiguration
{
    public const string CacheTtlVariable = "RESOLVER_CACHE_TTL_SECONDS";
    public const string MaintenanceRetryAfterVariable = "RESOLVER_MAINTENANCE_RETRY_AFTER_SECONDS";
    public const string AllowedServiceAccountsVariable = "RESOLVER_ALLOWED_SERVICE_ACCOUNTS";
    public const string TokenReviewCacheVariable = "RESOLVER_TOKEN_REVIEW_CACHE_SECONDS";
    public const string RateLimitVariable = "RESOLVER_RATE_LIMIT_PER_SECOND";
    public const string RateLimitBurstVariable = "RESOLVER_RATE_LIMIT_BURST";

    public static TenantConnectionResolverOptions ReadResolver(IConfiguration configuration)
    {
        var options = new TenantConnectionResolverOptions();
        options.CacheTtl = Seconds(configuration, CacheTtlVariable) ?? options.CacheTtl;
        options.MaintenanceRetryAfter = Seconds(configuration, MaintenanceRetryAfterVariable) ?? options.MaintenanceRetryAfter;
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new ConfigurationException($"{e.Message} ({CacheTtlVariable}, {MaintenanceRetryAfterVariable})");
        }

        return options;
    }

    public static ConnectionEndpointOptions ReadEndpoint(IConfiguration configuration)
    {
        var options = new ConnectionEndpointOptions();
        if (configuration[AllowedServiceAccountsVariable] is { } allowed)
        {
            foreach (var entry in allowed.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (!ConnectionEndpointOptions.IsServiceAccountName(entry))
                {
                    throw new ConfigurationException(
                        $"{AllowedServiceAccountsVariable} lists '{entry}', which is not a service account; use system:serviceaccount:<namespace>:<name>, comma-separated.");
                }

                options.AllowedServiceAccounts.Add(entry);
            }
        }

        options.TokenReviewCacheDuration = Seconds(configuration, TokenReviewCacheVariable) ?? options.TokenReviewCacheDuration;
        options.RateLimitPerSecond = Whole(configuration, RateLimitVariable) ?? options.RateLimitPerSecond;
        options.RateLimitBurst = Whole(configuration, RateLimitBurstVariable) ?? options.RateLimitBurst;
        if (options.RateLimitPerSecond < 1 || options.RateLimitBurst < 1)
        {
            throw new ConfigurationException($"{RateLimitVariable} and {RateLimitBurstVariable} must be at least 1.");
        }

        return options;
    }

    private static TimeSpan? Seconds(IConfiguration configuration, string key) => configuration[key] is not { Length: > 0 } text
        ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds) && seconds >= 0
            ? TimeSpan.FromSeconds(seconds)
            : throw new ConfigurationException($"{key} must be a number of seconds.");

    private static int? Whole(IConfiguration configuration, string key) => configuration[key] is not { Length: > 0 } text
        ? null
        : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ConfigurationException($"{key} must be a whole number.");
}
