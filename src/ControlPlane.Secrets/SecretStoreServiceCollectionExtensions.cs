using Azure.Core.Pipeline;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Aws;
using ControlPlane.Secrets.Caching;
using ControlPlane.Secrets.Cloud;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Confinement;
using ControlPlane.Secrets.Dev;
using ControlPlane.Secrets.Gcp;
using ControlPlane.Secrets.KeyVault;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Secrets.Vault;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ControlPlane.Secrets;

/// <summary>Registers <see cref="ISecretStore"/> (cached, routed to the backends) from the operator's configuration.</summary>
public static class SecretStoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ISecretStore"/>, <see cref="SecretReferencePlanner"/>, <see cref="PasswordGenerator"/> and one
    /// <see cref="ISecretReferencePolicy"/> per reference kind Tenants may use (k8s, vault).
    /// Settings come from flat keys (environment variables, see docs/secrets.md) and are validated at start-up
    /// (<c>ValidateOnStart</c>): env/mock outside dev or Vault without an endpoint stop the host with a clear message.
    /// An <see cref="IKubernetes"/> registered earlier is reused; otherwise one is built from the default configuration
    /// (in-cluster or kubeconfig) the first time a <c>k8s:</c> reference is used.
    /// </summary>
    public static IServiceCollection AddSecretStores(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddOptions<SecretStoreOptions>().Configure(options => SecretStoreConfiguration.Apply(options, configuration)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecretStoreOptions>, SecretStoreOptionsValidator>());

        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<PasswordGenerator>();
        services.TryAddSingleton<SecretReferencePlanner>();
        services.TryAddSingleton<IKubernetes>(_ => new k8s.Kubernetes(KubernetesClientConfiguration.BuildDefaultConfig()));

        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Kubernetes, (provider, _) => new KubernetesSecretBackend(
            provider.GetRequiredService<IKubernetes>(),
            provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Kubernetes,
            provider.GetRequiredService<ILogger<KubernetesSecretBackend>>()));
        services.AddSingleton(provider =>
        {
            var vault = provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Vault;
            return new VaultClient(new HttpClient(VaultHttpHandler.Create(vault)), vault, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<VaultClient>>());
        });
        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Vault, (provider, _) => new VaultKvBackend(
            provider.GetRequiredService<VaultClient>(),
            provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Vault));
        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Aws, (provider, _) =>
        {
            var aws = provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Aws;
            return new AwsSecretsManagerBackend(new AwsSecretsManagerClient(
                new HttpClient(), AwsCredentialsFactory.Create(aws), aws, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<AwsSecretsManagerClient>>()));
        });
        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Gcp, (provider, _) =>
        {
            var gcp = provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Gcp;
            return new GcpSecretManagerBackend(new GcpSecretManagerClient(
                new HttpClient(), ct => GcpCredentials.CreateAsync(gcp, ct), gcp, provider.GetRequiredService<TimeProvider>(), provider.GetRequiredService<ILogger<GcpSecretManagerClient>>()));
        });
        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Azure, (provider, _) =>
        {
            // A transport registered under the Azure key (an egress proxy, a test's fake) carries Key Vault and Entra ID traffic.
            var azure = provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Azure;
            var transport = provider.GetKeyedService<HttpPipelineTransport>(SecretBackendKind.Azure);
            return new SerializedSecretBackend(new AzureKeyVaultBackend(
                azure, AzureCredentials.Create(azure, transport), provider.GetRequiredService<ILogger<AzureKeyVaultBackend>>(), transport));
        });
        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Env, (_, _) => new EnvSecretBackend());
        services.AddKeyedSingleton<ISecretBackend>(SecretBackendKind.Mock, (_, _) => new MockSecretBackend());

        // One confinement policy per reference kind a Tenant may use (docs/secrets.md); other kinds are refused to Tenants.
        services.AddSingleton<ISecretReferencePolicy>(provider => new KubernetesSecretReferencePolicy(
            provider.GetRequiredService<IKubernetes>(), provider.GetRequiredService<ILogger<KubernetesSecretReferencePolicy>>()));
        services.AddSingleton<ISecretReferencePolicy>(provider => new VaultSecretReferencePolicy(
            provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value.Vault.TenantPrefix));

        services.TryAddSingleton<SecretStore>();
        services.TryAddSingleton(provider => new CachingSecretStore(
            provider.GetRequiredService<SecretStore>(),
            provider.GetRequiredService<IOptions<SecretStoreOptions>>(),
            provider.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton<ISecretStore>(provider => provider.GetRequiredService<CachingSecretStore>());
        return services;
    }
}
