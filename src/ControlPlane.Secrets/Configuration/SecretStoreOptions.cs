using ControlPlane.Store.Connection;
using ControlPlane.Store.Secrets;

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

    /// <summary>
    /// Whether references of <paramref name="kind"/> are served at all. env and mock exist only in dev
    /// (specification §5, §7); Vault only when an endpoint is configured; Kubernetes always (in-cluster).
    /// </summary>
    public bool IsEnabled(SecretBackendKind kind) => kind switch
    {
        SecretBackendKind.Kubernetes => true,
        SecretBackendKind.Vault => Vault.Address is not null,
        SecretBackendKind.Env or SecretBackendKind.Mock => Environment == DeploymentEnvironment.Dev,
        _ => false,
    };
}
