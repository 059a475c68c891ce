using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Aws;
using ControlPlane.Secrets.Gcp;
using ControlPlane.Secrets.KeyVault;

namespace ControlPlane.Secrets.Configuration;

/// <summary>Settings of the secret store, read from the environment by <see cref="SecretStoreConfiguration"/>.</summary>
public sealed class SecretStoreOptions
{
    public DeploymentEnvironment Environment { get; set; } = DeploymentEnvironment.Dev;

    /// <summary>Backend for secrets the operator generates (<c>SECRET_MANAGER_BACKEND</c>).</summary>
    public SecretBackendKind DefaultBackend { get; set; } = SecretBackendKind.Mock;

    /// <summary>How long a read value is served from memory (<c>SECRET_CACHE_TTL_SECONDS</c>, default 30 s).</summary>
    public TimeSpan CacheTtl { get; set; } = TimeSpan.FromSeconds(30);

    public KubernetesSecretOptions Kubernetes { get; set; } = new();

    public VaultOptions Vault { get; set; } = new();

    public AwsSecretsOptions Aws { get; set; } = new();

    public GcpSecretOptions Gcp { get; set; } = new();

    public AzureKeyVaultOptions Azure { get; set; } = new();

    /// <summary>Whether Google Secret Manager is configured (default backend, a project or a credentials file).</summary>
    public bool GcpConfigured { get; set; }

    /// <summary>
    /// Whether references of <paramref name="kind"/> are served at all. env and mock exist only in dev
    /// (specification §5, §7); Vault only when an endpoint is configured; AWS when credentials are (web identity
    /// or static keys); Google when configured; Azure when an identity is (workload identity or a client secret);
    /// Kubernetes always (in-cluster).
    /// </summary>
    public bool IsEnabled(SecretBackendKind kind) => kind switch
    {
        SecretBackendKind.Kubernetes => true,
        SecretBackendKind.Vault => Vault.Address is not null,
        SecretBackendKind.Env or SecretBackendKind.Mock => Environment == DeploymentEnvironment.Dev,
        SecretBackendKind.Aws => Aws.UsesWebIdentity || (Aws.AccessKeyId is not null && Aws.SecretAccessKey is not null),
        SecretBackendKind.Gcp => GcpConfigured,
        SecretBackendKind.Azure => Azure.HasCredentials,
        _ => false,
    };
}
