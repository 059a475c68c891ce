using ControlPlane.Client;
using ControlPlane.Secrets;
using ControlPlane.Store.Connection;
using k8s;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Everything <see cref="ConnectionEndpoint.MapTenantConnections"/> needs. Wiring into a host:
/// <code>
/// builder.Services.AddTenantConnectionResolver(builder.Configuration);   // needs an NpgsqlDataSource (the catalog)
/// app.SeparateListeners(); app.MapTenantConnections();     // and ResolverListener.Listen on the Kestrel options
/// </code>
/// A <see cref="TokenReviewClient"/> registered earlier is used for TokenReview; otherwise one with its own connections
/// is built from the default configuration (in-cluster or kubeconfig). Namespace grants need an
/// <see cref="ITenantDirectory"/> (the operator host registers the one of its Tenant informer). Secret stores are added
/// from configuration unless already registered.
/// </summary>
internal static class ResolverServices
{
    public static IServiceCollection AddTenantConnectionResolver(
        this IServiceCollection services, IConfiguration configuration, IReadOnlyDictionary<string, DatabaseTls>? serverTls = null)
    {
        var endpoint = ResolverConfiguration.ReadEndpoint(configuration);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(_ => new TokenReviewClient(new Kubernetes(KubernetesClientConfiguration.BuildDefaultConfig())));
        if (!services.Any(d => d.ServiceType == typeof(ISecretStore)))
        {
            services.AddSecretStores(configuration);
        }

        services.AddSingleton(endpoint);
        var resolver = ResolverConfiguration.ReadResolver(configuration);
        resolver.ServerTls = serverTls ?? resolver.ServerTls;
        services.AddSingleton(resolver);
        services.AddSingleton(provider => new TenantConnectionResolver(
            provider.GetRequiredService<NpgsqlDataSource>(), provider.GetRequiredService<ISecretStore>(),
            provider.GetRequiredService<TenantConnectionResolverOptions>(), provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<TenantConnectionResolver>>()));
        services.AddHostedService<ResolverListenerService>();
        services.AddSingleton<TokenReviewAuthenticator>();
        services.AddSingleton<ResolverGate>();
        return services;
    }
}
