namespace ControlPlane.Secrets.KeyVault;

/// <summary>Azure Key Vault settings (environment variables in docs/secrets.md; the AZURE_* names are the Azure SDK's and the workload identity webhook's).</summary>
public sealed class AzureKeyVaultOptions
{
    public const string VaultPlaceholder = "{vault}";

    public const string DefaultVaultUrl = "https://{vault}.vault.azure.net/";

    /// <summary>Key Vault of generated secrets (<c>SECRET_AZURE_VAULT</c>); references carry their own vault name.</summary>
    public string? Vault { get; set; }

    /// <summary>
    /// The URL of a vault with <c>{vault}</c> where its name goes (<c>SECRET_AZURE_VAULT_URL</c>): the public cloud's
    /// <c>https://{vault}.vault.azure.net/</c>, a sovereign cloud's (<c>https://{vault}.vault.azure.cn/</c>), or a test's.
    /// </summary>
    public string VaultUrl { get; set; } = DefaultVaultUrl;

    /// <summary>Directory (tenant) id of the operator's identity (<c>AZURE_TENANT_ID</c>).</summary>
    public string? TenantId { get; set; }

    /// <summary>Application (client) id of the operator's identity (<c>AZURE_CLIENT_ID</c>).</summary>
    public string? ClientId { get; set; }

    /// <summary>The projected service account token Azure Workload Identity mounts (<c>AZURE_FEDERATED_TOKEN_FILE</c>).</summary>
    public string? FederatedTokenFile { get; set; }

    /// <summary>A client secret of the app registration, for dev (<c>AZURE_CLIENT_SECRET</c>).</summary>
    public SecretValue? ClientSecret { get; set; }

    /// <summary>The Entra ID (login) endpoint (<c>AZURE_AUTHORITY_HOST</c>, set by the webhook; default the public cloud's).</summary>
    public Uri? AuthorityHost { get; set; }

    /// <summary>Attempts for throttled or unavailable requests; the Azure SDK's retry policy makes them, honouring Retry-After.</summary>
    public int MaxAttempts { get; set; } = 4;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public bool UsesWorkloadIdentity => FederatedTokenFile is not null;

    /// <summary>Whether an identity is configured: workload identity, or a client secret, each with client and tenant ids.</summary>
    public bool HasCredentials => TenantId is not null && ClientId is not null && (FederatedTokenFile is not null || ClientSecret is not null);

    /// <summary>The vault's URL for <paramref name="vaultName"/>.</summary>
    public Uri VaultUri(string vaultName)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultName);
        return new Uri(VaultUrl.Replace(VaultPlaceholder, vaultName, StringComparison.Ordinal));
    }
}
