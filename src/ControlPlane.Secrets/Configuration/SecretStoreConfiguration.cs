using System.Globalization;
using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.KeyVault;
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
    public const string AwsRegionVariable = "AWS_REGION";
    public const string AwsEndpointVariable = "AWS_ENDPOINT_URL_SECRETS_MANAGER";
    public const string AwsStsEndpointVariable = "AWS_ENDPOINT_URL_STS";
    public const string AwsRoleArnVariable = "AWS_ROLE_ARN";
    public const string AwsWebIdentityTokenFileVariable = "AWS_WEB_IDENTITY_TOKEN_FILE";
    public const string AwsAccessKeyIdVariable = "AWS_ACCESS_KEY_ID";
    public const string AwsSecretAccessKeyVariable = "AWS_SECRET_ACCESS_KEY";
    public const string AwsSessionTokenVariable = "AWS_SESSION_TOKEN";
    public const string AwsNamePrefixVariable = "SECRET_AWS_NAME_PREFIX";
    public const string GcpProjectVariable = "SECRET_GCP_PROJECT";
    public const string GcpEndpointVariable = "SECRET_GCP_ENDPOINT";
    public const string GcpCredentialsVariable = "GOOGLE_APPLICATION_CREDENTIALS";
    public const string GcpMetadataHostVariable = "GCE_METADATA_HOST";
    public const string AzureVaultVariable = "SECRET_AZURE_VAULT";
    public const string AzureVaultUrlVariable = "SECRET_AZURE_VAULT_URL";
    public const string AzureTenantIdVariable = "AZURE_TENANT_ID";
    public const string AzureClientIdVariable = "AZURE_CLIENT_ID";
    public const string AzureFederatedTokenFileVariable = "AZURE_FEDERATED_TOKEN_FILE";
    public const string AzureClientSecretVariable = "AZURE_CLIENT_SECRET";
    public const string AzureAuthorityHostVariable = "AZURE_AUTHORITY_HOST";

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
        ReadClouds(options, configuration);
        return options;
    }

    private static void ReadClouds(SecretStoreOptions options, IConfiguration configuration)
    {
        var aws = options.Aws;
        aws.Region = Value(configuration, AwsRegionVariable) ?? Value(configuration, "AWS_DEFAULT_REGION");
        aws.Endpoint = Url(configuration, AwsEndpointVariable);
        aws.StsEndpoint = Url(configuration, AwsStsEndpointVariable);
        aws.RoleArn = Value(configuration, AwsRoleArnVariable);
        aws.WebIdentityTokenFile = Value(configuration, AwsWebIdentityTokenFileVariable);
        aws.AccessKeyId = Value(configuration, AwsAccessKeyIdVariable);
        aws.SecretAccessKey = Value(configuration, AwsSecretAccessKeyVariable) is { } secret ? new SecretValue(secret) : null;
        aws.SessionToken = Value(configuration, AwsSessionTokenVariable) is { } session ? new SecretValue(session) : null;
        aws.NamePrefix = Value(configuration, AwsNamePrefixVariable)?.Trim('/') ?? aws.NamePrefix;

        var gcp = options.Gcp;
        gcp.Project = Value(configuration, GcpProjectVariable);
        gcp.Endpoint = Url(configuration, GcpEndpointVariable) ?? gcp.Endpoint;
        gcp.CredentialsFile = Value(configuration, GcpCredentialsVariable);
        gcp.MetadataHost = Value(configuration, GcpMetadataHostVariable) ?? gcp.MetadataHost;
        options.GcpConfigured = options.DefaultBackend == SecretBackendKind.Gcp || gcp.Project is not null || gcp.CredentialsFile is not null;

        var azure = options.Azure;
        azure.Vault = Value(configuration, AzureVaultVariable);
        azure.VaultUrl = Value(configuration, AzureVaultUrlVariable) is { } template ? VaultUrl(template) : azure.VaultUrl;
        azure.TenantId = Value(configuration, AzureTenantIdVariable);
        azure.ClientId = Value(configuration, AzureClientIdVariable);
        azure.FederatedTokenFile = Value(configuration, AzureFederatedTokenFileVariable);
        azure.ClientSecret = Value(configuration, AzureClientSecretVariable) is { } clientSecret ? new SecretValue(clientSecret) : null;
        azure.AuthorityHost = Url(configuration, AzureAuthorityHostVariable);
    }

    /// <summary>A vault URL template: https, with the <c>{vault}</c> placeholder, so no reference is sent to another vault than it names.</summary>
    private static string VaultUrl(string template) =>
        template.Contains(AzureKeyVaultOptions.VaultPlaceholder, StringComparison.Ordinal)
        && Uri.TryCreate(template.Replace(AzureKeyVaultOptions.VaultPlaceholder, "vault", StringComparison.Ordinal), UriKind.Absolute, out var url)
        && url.Scheme == Uri.UriSchemeHttps
            ? template
            : throw new ConfigurationException($"{AzureVaultUrlVariable} must be an https URL containing {AzureKeyVaultOptions.VaultPlaceholder}, such as {AzureKeyVaultOptions.DefaultVaultUrl}.");

    private static Uri? Url(IConfiguration configuration, string key) => Value(configuration, key) is not { } text
        ? null
        : Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var url) && (url.Scheme == Uri.UriSchemeHttps || url.Scheme == Uri.UriSchemeHttp)
            ? url
            : throw new ConfigurationException($"{key} must be an absolute http(s) URL.");

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
            $"{BackendVariable} is required when ENVIRONMENT={environment.ToString().ToLowerInvariant()}; use vault, k8s, aws, gcp or azure."),
        "k8s" or "kubernetes" => SecretBackendKind.Kubernetes,
        "vault" => SecretBackendKind.Vault,
        "env" => SecretBackendKind.Env,
        "mock" => SecretBackendKind.Mock,
        "aws" => SecretBackendKind.Aws,
        "gcp" => SecretBackendKind.Gcp,
        "azure" => SecretBackendKind.Azure,
        _ => throw new ConfigurationException($"{BackendVariable} must be one of vault, k8s, aws, gcp, azure, env, mock (got '{Truncate(value)}')."),
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
