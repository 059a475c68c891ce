using System.Threading.RateLimiting;
using ControlPlane.Client;
using ControlPlane.Secrets;
using k8s;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Everything <see cref="ConnectionEndpoint.MapTenantConnections"/> needs. Wiring into a host:
/// <code>
/// builder.Services.AddTenantConnectionResolver(builder.Configuration);   // needs an NpgsqlDataSource (the catalog)
/// app.UseRateLimiter(); app.MapTenantConnections();
/// </code>
/// An <see cref="IKubernetes"/> registered earlier is used for TokenReview; otherwise one is built from the default
/// configuration (in-cluster or kubeconfig). Secret stores are added from configuration unless already registered.
/// </summary>
internal static class ResolverServices
{
    public const string CallerPolicy = "tenant-connection-callers";
    public const string RateLimitPolicy = "tenant-connection-per-caller";

    public static IServiceCollection AddTenantConnectionResolver(this IServiceCollection services, IConfiguration configuration)
    {
        var endpoint = ResolverConfiguration.ReadEndpoint(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IKubernetes>(_ => new Kubernetes(KubernetesClientConfiguration.BuildDefaultConfig()));
        if (!services.Any(d => d.ServiceType == typeof(ISecretStore)))
        {
            services.AddSecretStores(configuration);
        }

        services.AddSingleton(endpoint);
        services.AddSingleton(ResolverConfiguration.ReadResolver(configuration));
        services.AddSingleton(provider => new TenantConnectionResolver(
            provider.GetRequiredService<NpgsqlDataSource>(), provider.GetRequiredService<ISecretStore>(),
            provider.GetRequiredService<TenantConnectionResolverOptions>(), provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<TenantConnectionResolver>>()));
        services.AddHostedService<ResolverListenerService>();
        services.AddSingleton<TokenReviewAuthenticator>();

        services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ServiceAccountAuthenticationHandler>(ServiceAccountAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder().AddPolicy(CallerPolicy, policy => policy
            .AddAuthenticationSchemes(ServiceAccountAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireAssertion(context => context.User.Identity?.Name is { } name && endpoint.AllowedServiceAccounts.Contains(name)));

        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(RateLimitPolicy, context => RateLimitPartition.GetTokenBucketLimiter(
                context.User.Identity?.Name ?? "anonymous",
                _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = endpoint.RateLimitBurst,
                    TokensPerPeriod = endpoint.RateLimitPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
            limiter.OnRejected = async (rejected, cancellationToken) =>
            {
                var context = rejected.HttpContext;
                var caller = context.User.Identity?.Name ?? "anonymous";
                Log.CallerRateLimited(context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ConnectionEndpoint)), caller, context.Request.Path);
                ConnectionProblems.RetryAfter(context,
                    rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1));
                await ConnectionProblems.WriteAsync(context, StatusCodes.Status429TooManyRequests, "rate-limited", "Too many requests",
                    $"At most {endpoint.RateLimitPerSecond} resolves per second per caller (burst {endpoint.RateLimitBurst}).");
            };
        });
        return services;
    }
}
