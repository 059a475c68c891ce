using System.Globalization;
using ControlPlane.Client;
using ControlPlane.Core.Configuration;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Resolver;

/// <summary>Reads the resolver's and its endpoint's settings from flat configuration keys (environment variables, docs/resolver.md).</summary>
internal static class ResolverConfiguration
{
    public const string CacheTtlVariable = "RESOLVER_CACHE_TTL_SECONDS";
    public const string MaintenanceRetryAfterVariable = "RESOLVER_MAINTENANCE_RETRY_AFTER_SECONDS";
    public const string CallersVariable = "RESOLVER_CALLERS";

    /// <summary>The global allow-list before namespace grants; refused with the rewrite it needs (docs/resolver.md, "Migrating").</summary>
    public const string RetiredAllowListVariable = "RESOLVER_ALLOWED_SERVICE_ACCOUNTS";
    public const string AudienceVariable = "RESOLVER_TOKEN_AUDIENCE";
    public const string TokenReviewCacheVariable = "RESOLVER_TOKEN_REVIEW_CACHE_SECONDS";
    public const string FailedReviewCacheVariable = "RESOLVER_TOKEN_REVIEW_FAILURE_CACHE_SECONDS";
    public const string TokenReviewConcurrencyVariable = "RESOLVER_TOKEN_REVIEW_CONCURRENCY";
    public const string RateLimitVariable = "RESOLVER_RATE_LIMIT_PER_SECOND";
    public const string RateLimitBurstVariable = "RESOLVER_RATE_LIMIT_BURST";
    public const string AddressRateLimitVariable = "RESOLVER_ADDRESS_RATE_LIMIT_PER_SECOND";
    public const string AddressRateLimitBurstVariable = "RESOLVER_ADDRESS_RATE_LIMIT_BURST";
    public const string PortVariable = "RESOLVER_PORT";
    public const string CertificateFileVariable = "RESOLVER_TLS_CERT_FILE";
    public const string KeyFileVariable = "RESOLVER_TLS_KEY_FILE";
    public const string CertificateCheckVariable = "RESOLVER_TLS_RELOAD_CHECK_SECONDS";

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
        if (configuration[RetiredAllowListVariable] is { Length: > 0 } retired)
        {
            var first = retired.Split([',', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "system:serviceaccount:<ns>:<name>";
            throw new ConfigurationException(
                $"{RetiredAllowListVariable} is replaced by {CallersVariable}, which also says which Tenant namespaces each caller may resolve: " +
                $"{CallersVariable}='{first}=<tenant-namespace>[,<namespace>…]' (or 'selector:<label>=<value>', or '*' for every tenant as before), " +
                "entries separated by ';'. See docs/resolver.md.");
        }

        var options = new ConnectionEndpointOptions();
        if (configuration[CallersVariable] is { } callers)
        {
            foreach (var entry in callers.Split([';', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = entry.IndexOf('=', StringComparison.Ordinal);
                var name = eq < 0 ? entry : entry[..eq].Trim();
                if (!ConnectionEndpointOptions.IsServiceAccountName(name))
                {
                    throw new ConfigurationException(
                        $"{CallersVariable} lists '{name}', which is not a service account; use system:serviceaccount:<namespace>:<name>=<grant>, ';'-separated.");
                }

                if (eq < 0)
                {
                    throw new ConfigurationException(
                        $"{CallersVariable}: '{name}' has no grant; write '{name}=<tenant-namespace>[,…]', '{name}=selector:<label>=<value>' or '{name}=*'.");
                }

                if (CallerGrant.Parse(entry[(eq + 1)..], out var error) is not { } grant)
                {
                    throw new ConfigurationException($"{CallersVariable}: the grant of '{name}' is invalid: {error}.");
                }

                if (!options.Callers.TryAdd(name, grant))
                {
                    throw new ConfigurationException($"{CallersVariable} lists '{name}' twice; give each caller one grant.");
                }
            }
        }

        options.Audience = configuration[AudienceVariable] is { Length: > 0 } audience ? audience.Trim() : options.Audience;
        options.TokenReviewCacheDuration = Seconds(configuration, TokenReviewCacheVariable) ?? options.TokenReviewCacheDuration;
        options.FailedReviewCacheDuration = Seconds(configuration, FailedReviewCacheVariable) ?? options.FailedReviewCacheDuration;
        options.TokenReviewConcurrency = Whole(configuration, TokenReviewConcurrencyVariable) ?? options.TokenReviewConcurrency;
        options.RateLimitPerSecond = Whole(configuration, RateLimitVariable) ?? options.RateLimitPerSecond;
        options.RateLimitBurst = Whole(configuration, RateLimitBurstVariable) ?? options.RateLimitBurst;
        options.AddressRateLimitPerSecond = Whole(configuration, AddressRateLimitVariable) ?? options.AddressRateLimitPerSecond;
        options.AddressRateLimitBurst = Whole(configuration, AddressRateLimitBurstVariable) ?? options.AddressRateLimitBurst;
        if (options.RateLimitPerSecond < 1 || options.RateLimitBurst < 1 || options.AddressRateLimitPerSecond < 1 || options.AddressRateLimitBurst < 1)
        {
            throw new ConfigurationException(
                $"{RateLimitVariable}, {RateLimitBurstVariable}, {AddressRateLimitVariable} and {AddressRateLimitBurstVariable} must be at least 1.");
        }

        if (options.TokenReviewConcurrency is < 1 or > 64)
        {
            throw new ConfigurationException($"{TokenReviewConcurrencyVariable} must be between 1 and 64.");
        }

        return options;
    }

    /// <summary>
    /// The resolver's listener. Outside dev it must have TLS: the endpoint hands out passwords, so there is no plain-HTTP
    /// mode to fall back to, and a missing certificate stops the process at start (exit 2) instead.
    /// </summary>
    public static ResolverListenerOptions ReadListener(IConfiguration configuration, DeploymentEnvironment environment)
    {
        var port = Whole(configuration, PortVariable) ?? ResolverListenerOptions.DefaultPort;
        if (port > 65535)
        {
            throw new ConfigurationException($"{PortVariable} must be between 0 and 65535.");
        }

        var certificate = configuration[CertificateFileVariable] is { Length: > 0 } c ? c : null;
        var key = configuration[KeyFileVariable] is { Length: > 0 } k ? k : null;
        if ((certificate is null) != (key is null))
        {
            throw new ConfigurationException($"Set both {CertificateFileVariable} and {KeyFileVariable} (PEM files, e.g. tls.crt and tls.key of a mounted Secret), or neither.");
        }

        if (certificate is null && environment != DeploymentEnvironment.Dev)
        {
            throw new ConfigurationException(
                $"The tenant connection resolver serves passwords and needs TLS outside ENVIRONMENT=dev: set {CertificateFileVariable} and {KeyFileVariable}.");
        }

        return new ResolverListenerOptions(port, certificate, key, Seconds(configuration, CertificateCheckVariable) ?? TimeSpan.FromSeconds(5));
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
