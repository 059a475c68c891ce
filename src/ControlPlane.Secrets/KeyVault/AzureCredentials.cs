using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace ControlPlane.Secrets.KeyVault;

/// <summary>
/// The operator's Entra ID identity through Azure.Identity: Azure Workload Identity (the federated token file is the
/// client assertion of a client-credentials grant, <see cref="WorkloadIdentityCredential"/>), else a client secret for
/// dev. Nothing else is tried: a chain such as DefaultAzureCredential would fall back to identities nobody configured.
/// </summary>
public static class AzureCredentials
{
    /// <param name="options">The identity settings.</param>
    /// <param name="transport">The HTTP transport to Entra ID; null for the SDK's default (tests pass one trusting their CA).</param>
    public static TokenCredential Create(AzureKeyVaultOptions options, HttpPipelineTransport? transport = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TenantId is not { } tenant || options.ClientId is not { } client)
        {
            throw new InvalidOperationException("Azure Key Vault needs AZURE_TENANT_ID and AZURE_CLIENT_ID.");
        }

        if (options.FederatedTokenFile is { } tokenFile)
        {
            var workload = new WorkloadIdentityCredentialOptions
            {
                TenantId = tenant,
                ClientId = client,
                TokenFilePath = tokenFile,
                DisableInstanceDiscovery = PrivateAuthority(options),
            };
            return new WorkloadIdentityCredential(Configure(workload, options, transport));
        }

        if (options.ClientSecret is { } secret)
        {
            return new ClientSecretCredential(tenant, client, secret.Reveal(), Configure(new ClientSecretCredentialOptions { DisableInstanceDiscovery = PrivateAuthority(options) }, options, transport));
        }

        throw new InvalidOperationException("Azure Key Vault needs AZURE_FEDERATED_TOKEN_FILE (Azure Workload Identity) or, in dev, AZURE_CLIENT_SECRET.");
    }

    /// <summary>
    /// MSAL validates an authority it does not know by asking the public cloud's discovery endpoint; an authority
    /// outside Microsoft's clouds (Azure Stack, a test's fake) cannot be validated that way and is trusted as configured.
    /// </summary>
    private static bool PrivateAuthority(AzureKeyVaultOptions options) => options.AuthorityHost is { } host
        && !KnownAuthorities.Any(known => Uri.Compare(known, host, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0);

    private static readonly Uri[] KnownAuthorities =
        [AzureAuthorityHosts.AzurePublicCloud, AzureAuthorityHosts.AzureChina, AzureAuthorityHosts.AzureGovernment];

    private static T Configure<T>(T credential, AzureKeyVaultOptions options, HttpPipelineTransport? transport)
        where T : TokenCredentialOptions
    {
        if (options.AuthorityHost is { } authority)
        {
            credential.AuthorityHost = authority;
        }

        if (transport is not null)
        {
            credential.Transport = transport;
        }

        credential.Retry.MaxRetries = Math.Max(0, options.MaxAttempts - 1);
        credential.Retry.Delay = options.RetryBaseDelay;
        return credential;
    }
}
