namespace ControlPlane.Secrets.Gcp;

/// <summary>Google Secret Manager settings (environment variables in docs/secrets.md).</summary>
public sealed class GcpSecretOptions
{
    public static readonly Uri DefaultEndpoint = new("https://secretmanager.googleapis.com/");

    public const string CloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform";

    /// <summary>Project of generated secrets (<c>SECRET_GCP_PROJECT</c>); references carry their own project.</summary>
    public string? Project { get; set; }

    /// <summary>Overrides the Secret Manager endpoint (<c>SECRET_GCP_ENDPOINT</c>).</summary>
    public Uri Endpoint { get; set; } = DefaultEndpoint;

    /// <summary>
    /// A service account key (dev) or an external account configuration (workload identity federation)
    /// (<c>GOOGLE_APPLICATION_CREDENTIALS</c>). Unset: the metadata server, which is GKE Workload Identity.
    /// </summary>
    public string? CredentialsFile { get; set; }

    /// <summary>The metadata server's host[:port] (<c>GCE_METADATA_HOST</c>, default metadata.google.internal).</summary>
    public string MetadataHost { get; set; } = "metadata.google.internal";

    public int MaxAttempts { get; set; } = 4;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);
}
