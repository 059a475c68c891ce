using System.Text.RegularExpressions;
using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.KeyVault;
using Microsoft.Extensions.Options;

namespace ControlPlane.Secrets.Configuration;

/// <summary>
/// Refuses unsafe or incomplete secret settings at start-up, each failure as one sentence saying what to set.
/// This is where the specification's rule "env and mock only in dev" is enforced.
/// </summary>
public sealed partial class SecretStoreOptionsValidator : IValidateOptions<SecretStoreOptions>
{
    public static readonly TimeSpan MaximumCacheTtl = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, SecretStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var failures = Failures(options).ToList();
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static IEnumerable<string> Failures(SecretStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var production = options.Environment != DeploymentEnvironment.Dev;
        var stage = options.Environment.ToString().ToLowerInvariant();
        var backend = SecretStoreConfiguration.BackendVariable;

        if (production && options.DefaultBackend is SecretBackendKind.Env or SecretBackendKind.Mock)
        {
            yield return $"{backend}={options.DefaultBackend.ToString().ToLowerInvariant()} is allowed only with ENVIRONMENT=dev " +
                         $"(ENVIRONMENT={stage}); use vault or k8s.";
        }

        if (options.CacheTtl <= TimeSpan.Zero || options.CacheTtl > MaximumCacheTtl)
        {
            yield return $"{SecretStoreConfiguration.CacheTtlVariable} must be greater than 0 and at most {MaximumCacheTtl.TotalSeconds:0} seconds, " +
                         "so a rotated password is picked up quickly.";
        }

        if (!DnsLabel().IsMatch(options.Kubernetes.Namespace))
        {
            yield return $"{SecretStoreConfiguration.KubernetesNamespaceVariable} must be a Kubernetes namespace name (lower-case DNS label).";
        }

        foreach (var failure in VaultFailures(options, production, stage))
        {
            yield return failure;
        }

        foreach (var failure in CloudFailures(options))
        {
            yield return failure;
        }
    }

    private static IEnumerable<string> CloudFailures(SecretStoreOptions options)
    {
        if (options.DefaultBackend == SecretBackendKind.Aws)
        {
            if (options.Aws.Region is null)
            {
                yield return $"{SecretStoreConfiguration.BackendVariable}=aws needs {SecretStoreConfiguration.AwsRegionVariable} (the region of generated secrets).";
            }

            if (!options.IsEnabled(SecretBackendKind.Aws))
            {
                yield return $"{SecretStoreConfiguration.BackendVariable}=aws needs {SecretStoreConfiguration.AwsRoleArnVariable} with {SecretStoreConfiguration.AwsWebIdentityTokenFileVariable} " +
                             $"(EKS IRSA or pod identity) or, in dev, {SecretStoreConfiguration.AwsAccessKeyIdVariable} with {SecretStoreConfiguration.AwsSecretAccessKeyVariable}.";
            }
        }

        if (options.Aws.RoleArn is not null ^ options.Aws.WebIdentityTokenFile is not null)
        {
            yield return $"{SecretStoreConfiguration.AwsRoleArnVariable} and {SecretStoreConfiguration.AwsWebIdentityTokenFileVariable} go together.";
        }

        if (options.DefaultBackend == SecretBackendKind.Gcp && options.Gcp.Project is null)
        {
            yield return $"{SecretStoreConfiguration.BackendVariable}=gcp needs {SecretStoreConfiguration.GcpProjectVariable} (the project of generated secrets).";
        }

        foreach (var failure in AzureFailures(options.DefaultBackend, options.Azure))
        {
            yield return failure;
        }

        if (options.Gcp.CredentialsFile is { } file && !File.Exists(file))
        {
            yield return $"{SecretStoreConfiguration.GcpCredentialsVariable} names a file that does not exist: {file}.";
        }
    }

    private static IEnumerable<string> AzureFailures(SecretBackendKind backend, AzureKeyVaultOptions azure)
    {
        if (backend == SecretBackendKind.Azure)
        {
            if (azure.Vault is null)
            {
                yield return $"{SecretStoreConfiguration.BackendVariable}=azure needs {SecretStoreConfiguration.AzureVaultVariable} (the Key Vault of generated secrets).";
            }
            else if (!KeyVaultName().IsMatch(azure.Vault))
            {
                yield return $"{SecretStoreConfiguration.AzureVaultVariable} must be a Key Vault name: 3-24 letters, digits and '-', starting with a letter.";
            }

            if (!azure.HasCredentials)
            {
                yield return $"{SecretStoreConfiguration.BackendVariable}=azure needs {SecretStoreConfiguration.AzureTenantIdVariable} and {SecretStoreConfiguration.AzureClientIdVariable} " +
                             $"with {SecretStoreConfiguration.AzureFederatedTokenFileVariable} (Azure Workload Identity) or, in dev, {SecretStoreConfiguration.AzureClientSecretVariable}.";
            }
        }

        if (azure.FederatedTokenFile is not null && azure.ClientSecret is not null)
        {
            yield return $"{SecretStoreConfiguration.AzureFederatedTokenFileVariable} and {SecretStoreConfiguration.AzureClientSecretVariable} are both set; keep one identity (workload identity outside dev).";
        }
    }

    private static IEnumerable<string> VaultFailures(SecretStoreOptions options, bool production, string stage)
    {
        var vault = options.Vault;
        if (vault.TenantPrefix is { } tenantPrefix && tenantPrefix.Overlaps($"{vault.Mount}/{vault.PathPrefix}"))
        {
            yield return $"{SecretStoreConfiguration.VaultTenantPrefixVariable} ({tenantPrefix}) overlaps {SecretStoreConfiguration.VaultMountVariable}/" +
                         $"{SecretStoreConfiguration.VaultPathPrefixVariable} ({vault.Mount}/{vault.PathPrefix}), where generated passwords live; " +
                         "give Tenants' own secrets a separate path.";
        }

        if (vault.Address is null)
        {
            if (options.DefaultBackend == SecretBackendKind.Vault)
            {
                yield return $"{SecretStoreConfiguration.EndpointVariable} is required with {SecretStoreConfiguration.BackendVariable}=vault " +
                             $"when ENVIRONMENT={stage} (e.g. https://vault.vault.svc:8200).";
            }

            yield break;
        }

        if (production && vault.Address.Scheme != Uri.UriSchemeHttps)
        {
            yield return $"{SecretStoreConfiguration.EndpointVariable} must use https when ENVIRONMENT={stage}; " +
                         $"set {SecretStoreConfiguration.VaultCaCertVariable} if Vault's certificate comes from a private CA.";
        }

        if (vault.AuthMethod == VaultAuthMethod.Token && vault.Token is null && vault.TokenFile is null)
        {
            yield return $"Vault token authentication needs {SecretStoreConfiguration.VaultTokenVariable} or {SecretStoreConfiguration.VaultTokenFileVariable}; " +
                         $"or set {SecretStoreConfiguration.VaultRoleVariable} to use the Kubernetes auth method.";
        }

        if (vault.AuthMethod == VaultAuthMethod.Kubernetes && string.IsNullOrWhiteSpace(vault.KubernetesRole))
        {
            yield return $"Vault Kubernetes authentication needs {SecretStoreConfiguration.VaultRoleVariable} (the Vault role bound to the operator's service account).";
        }

        if (vault.CaCertificateFile is { } ca && !File.Exists(ca))
        {
            yield return $"{SecretStoreConfiguration.VaultCaCertVariable} names a file that does not exist: {ca}.";
        }

        if (vault.RequestTimeout <= TimeSpan.Zero || vault.RequestTimeout > TimeSpan.FromMinutes(2))
        {
            yield return $"{SecretStoreConfiguration.VaultTimeoutVariable} must be greater than 0 and at most 120 seconds.";
        }

        if (vault.MaxAttempts is < 1 or > 10)
        {
            yield return $"{SecretStoreConfiguration.VaultMaxAttemptsVariable} must be between 1 and 10.";
        }

        if (!PathSegments().IsMatch(vault.Mount) || !PathSegments().IsMatch(vault.PathPrefix))
        {
            yield return $"{SecretStoreConfiguration.VaultMountVariable} and {SecretStoreConfiguration.VaultPathPrefixVariable} must be '/'-separated " +
                         "segments of letters, digits, '.', '_' and '-'.";
        }
    }

    [GeneratedRegex("^[a-zA-Z][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex KeyVaultName();

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();

    [GeneratedRegex("^[a-zA-Z0-9_-][a-zA-Z0-9._-]*(/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PathSegments();
}
