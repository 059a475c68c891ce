namespace ControlPlane.Secrets.Configuration;

/// <summary>Vault KV v2 client settings (see docs/secrets.md for the environment variables).</summary>
public sealed class VaultOptions
{
    public const string DefaultServiceAccountTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>Base address, e.g. https://vault.example:8200; null when Vault is not used.</summary>
    public Uri? Address { get; set; }

    /// <summary>Vault Enterprise / HCP namespace, sent as <c>X-Vault-Namespace</c>.</summary>
    public string? Namespace { get; set; }

    public VaultAuthMethod AuthMethod { get; set; } = VaultAuthMethod.Token;

    /// <summary>Static token (<c>VAULT_TOKEN</c>). Held as a <see cref="SecretValue"/> so options dumps stay redacted.</summary>
    public SecretValue? Token { get; set; }

    /// <summary>File holding the token; re-read when Vault answers 403, so an agent may rotate it.</summary>
    public string? TokenFile { get; set; }

    public string? KubernetesRole { get; set; }

    /// <summary>Mount path of the Kubernetes auth method: login is <c>POST /v1/auth/&lt;this&gt;/login</c>.</summary>
    public string KubernetesAuthPath { get; set; } = "kubernetes";

    public string ServiceAccountTokenFile { get; set; } = DefaultServiceAccountTokenFile;

    /// <summary>PEM file of CA certificates trusted for Vault's TLS certificate (instead of the system store).</summary>
    /// <summary>
    /// Where Tenants may reference their own Vault secrets, per namespace (<c>VAULT_TENANT_PREFIX</c>); null: nowhere.
    /// Never overlaps <see cref="Mount"/>/<see cref="PathPrefix"/>, where the operator generates passwords.
    /// </summary>
    public VaultTenantPrefix? TenantPrefix { get; set; }

    public string? CaCertificateFile { get; set; }

    /// <summary>KV v2 mount for generated secrets.</summary>
    public string Mount { get; set; } = "secret";

    /// <summary>Path below <see cref="Mount"/> under which tenant secrets are generated.</summary>
    public string PathPrefix { get; set; } = "econt/tenants";

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts for idempotent requests (reads, deletes, login, renew); writes are sent once.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>First backoff delay; doubled per attempt, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// When the last key of a path is deleted: true destroys every version and the metadata
    /// (<c>DELETE /v1/&lt;mount&gt;/metadata/&lt;path&gt;</c>); false soft-deletes the latest version only.
    /// Destroy is the default because a soft-deleted password can be undeleted.
    /// </summary>
    public bool DestroyOnDelete { get; set; } = true;
}
