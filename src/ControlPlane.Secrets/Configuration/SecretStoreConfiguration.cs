using System.Globalization;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Secrets;
using Microsoft.Extensions.Configuration;

namespace ControlPlane.Secrets.Configuration;

/// <summary>
/// Reads <see cref="SecretStoreOptions"/> from flat configuration keys, which are the operator's environment
/// variables. Values that cannot be parsed fail here; combinations that are unsafe fail in
/// <see cref="SecretStoreOptionsValidator"/>. Messages never repeat a token.
/// </summary>
public static class SecretStoreConfiguration
{
    public const string BackendVariable = "SECRET_MANAGER_BACKEND";
    public const string EndpointVariable = "SECRET_MANAGER_ENDPOINT";
    public const string CacheTtlVariable = "SECRET_CACHE_TTL_SECONDS";
    public const string KubernetesNamespaceVariable = "SECRET_KUBERNETES_NAMESPACE";
    public const string VaultAuthMethodVariable = "VAULT_AUTH_METHOD";
    public const string VaultTokenVariable = "VAULT_TOKEN";
    public const string VaultTokenFileVariable = "VAULT_TOKEN_FILE";
    public const string VaultRoleVariable = "VAULT_K8S_ROLE";
    public const string VaultKubernetesAuthPathVariable = "VAULT_K8S_AUTH_PATH";
    public const string VaultJwtFileVariable = "VAULT_K8S_JWT_FILE";
    public const string VaultNamespaceVariable = "VAULT_NAMESPACE";
    public const string VaultCaCertVariable = "VAULT_CACERT";
    public const string VaultMountVariable = "VAULT_KV_MOUNT";
    public const string VaultPathPrefixVariable = "VAULT_PATH_PREFIX";
    public const string VaultTenantPrefixVariable = "VAULT_TENANT_PREFIX";
    public const string VaultTimeoutVariable = "VAULT_TIMEOUT_SECONDS";
    public const string VaultMaxAttemptsVariable = "VAULT_MAX_ATTEMPTS";

    /// <summary>Where a dev operator finds `vault server -dev` when no endpoint is given.</summary>
    public static readonly Uri DevVaultAddress = new("http://127.0.0.1:8200");

    public static SecretStoreOptions Read(IConfiguration configuration) => Apply(new SecretStoreOptions(), configuration);

    public static SecretStoreOptions Apply(SecretStoreOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);

        options.Environment = DeploymentEnvironments.Parse(configuration[DeploymentEnvironments.VariableName]);
        options.DefaultBackend = ParseBackend(configuration[BackendVariable], options.Environment);
        if (Seconds(configuration, CacheTtlVariable) is { } ttl)
        {
            options.CacheTtl = ttl;
        }

        if (Value(configuration, KubernetesNamespaceVariable) is { } ns)
        {
            options.Kubernetes.Namespace = ns;
        }

        ReadVault(options, configuration);
        return options;
    }

    private static void ReadVault(SecretStoreOptions options, IConfiguration configuration)
    {
        var vault = options.Vault;
        if (Value(configuration, EndpointVariable) is { } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
            {
                throw new ConfigurationException($"{EndpointVariable} must be an absolute http(s) URL such as https://vault.example:8200.");
            }

            vault.Address = address;
        }
        else if (options.DefaultBackend == SecretBackendKind.Vault && options.Environment == DeploymentEnvironment.Dev)
        {
            vault.Address = DevVaultAddress;
        }

        vault.Namespace = Value(configuration, VaultNamespaceVariable);
        vault.Token = Value(configuration, VaultTokenVariable) is { } token ? new SecretValue(token) : null;
        vault.TokenFile = Value(configuration, VaultTokenFileVariable);
        vault.KubernetesRole = Value(configuration, VaultRoleVariable);
        vault.KubernetesAuthPath = Value(configuration, VaultKubernetesAuthPathVariable)?.Trim('/') ?? vault.KubernetesAuthPath;
        vault.ServiceAccountTokenFile = Value(configuration, VaultJwtFileVariable) ?? vault.ServiceAccountTokenFile;
        vault.CaCertificateFile = Value(configuration, VaultCaCertVariable);
        vault.Mount = Value(configuration, VaultMountVariable)?.Trim('/') ?? vault.Mount;
        vault.PathPrefix = Value(configuration, VaultPathPrefixVariable)?.Trim('/') ?? vault.PathPrefix;
        vault.TenantPrefix = VaultTenantPrefix.Parse(Value(configuration, VaultTenantPrefixVariable));
        vault.RequestTimeout = Seconds(configuration, VaultTimeoutVariable) ?? vault.RequestTimeout;
        if (Value(configuration, VaultMaxAttemptsVariable) is { } attempts)
        {
            vault.MaxAttempts = int.TryParse(attempts, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
                ? n
                : throw new ConfigurationException($"{VaultMaxAttemptsVariable} must be a whole number (got '{Truncate(attempts)}').");
        }

        vault.AuthMethod = Value(configuration, VaultAuthMethodVariable)?.ToLowerInvariant() switch
        {
            null => vault.KubernetesRole is null ? VaultAuthMethod.Token : VaultAuthMethod.Kubernetes,
            "token" => VaultAuthMethod.Token,
            "kubernetes" => VaultAuthMethod.Kubernetes,
            _ => throw new ConfigurationException($"{VaultAuthMethodVariable} must be 'token' or 'kubernetes'."),
        };
    }

    /// <summary>Parses <c>SECRET_MANAGER_BACKEND</c>; unset means mock in dev and is an error elsewhere.</summary>
    public static SecretBackendKind ParseBackend(string? value, DeploymentEnvironment environment) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" when environment == DeploymentEnvironment.Dev => SecretBackendKind.Mock,
        null or "" => throw new ConfigurationException(
            $"{BackendVariable} is required when ENVIRONMENT={environment.ToString().ToLowerInvariant()}; use vault or k8s."),
        "k8s" or "kubernetes" => SecretBackendKind.Kubernetes,
        "vault" => SecretBackendKind.Vault,
        "env" => SecretBackendKind.Env,
        "mock" => SecretBackendKind.Mock,
        "aws" or "gcp" or "azure" => throw new ConfigurationException(
            $"{BackendVariable}={value.Trim()} is named by the specification but not implemented by this operator; use vault or k8s."),
        _ => throw new ConfigurationException($"{BackendVariable} must be one of vault, k8s, env, mock (got '{Truncate(value)}')."),
    };

    private static string? Value(IConfiguration configuration, string key) =>
        configuration[key] is { } value && !string.IsNullOrWhiteSpace(value) ? value.Trim() : null;

    private static TimeSpan? Seconds(IConfiguration configuration, string key) => Value(configuration, key) is not { } text
        ? null
        : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) && double.IsFinite(seconds)
            ? TimeSpan.FromSeconds(seconds)
            : throw new ConfigurationException($"{key} must be a number of seconds (got '{Truncate(text)}').");

    private static string Truncate(string value) => value.Length <= 20 ? value : value[..20] + "…";
}
