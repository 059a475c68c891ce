namespace ControlPlane.Secrets.Aws;

/// <summary>AWS Secrets Manager settings (environment variables in docs/secrets.md; the names are the AWS SDK's own).</summary>
public sealed class AwsSecretsOptions
{
    /// <summary>Region of generated secrets (<c>AWS_REGION</c>); references carry their own region.</summary>
    public string? Region { get; set; }

    /// <summary>Secret name prefix for generated secrets (<c>SECRET_AWS_NAME_PREFIX</c>).</summary>
    public string NamePrefix { get; set; } = "econt/tenants";

    /// <summary>Overrides <c>https://secretsmanager.&lt;region&gt;.amazonaws.com/</c> (<c>AWS_ENDPOINT_URL_SECRETS_MANAGER</c>).</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Overrides the regional STS endpoint (<c>AWS_ENDPOINT_URL_STS</c>).</summary>
    public Uri? StsEndpoint { get; set; }

    /// <summary>Role assumed with the web identity token (<c>AWS_ROLE_ARN</c>): EKS IRSA and pod identity web-identity.</summary>
    public string? RoleArn { get; set; }

    /// <summary>The projected service account token (<c>AWS_WEB_IDENTITY_TOKEN_FILE</c>).</summary>
    public string? WebIdentityTokenFile { get; set; }

    public string RoleSessionName { get; set; } = "econt-controlplane";

    /// <summary>Static credentials for dev (<c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c>, <c>AWS_SESSION_TOKEN</c>).</summary>
    public string? AccessKeyId { get; set; }

    public SecretValue? SecretAccessKey { get; set; }

    public SecretValue? SessionToken { get; set; }

    /// <summary>Attempts for throttled or unavailable requests (<c>SECRET_CLOUD_MAX_ATTEMPTS</c>).</summary>
    public int MaxAttempts { get; set; } = 4;

    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    public bool UsesWebIdentity => RoleArn is not null && WebIdentityTokenFile is not null;
}
