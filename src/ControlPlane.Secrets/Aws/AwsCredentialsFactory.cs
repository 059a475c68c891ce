using Amazon.Runtime;

namespace ControlPlane.Secrets.Aws;

/// <summary>
/// The operator's AWS identity: a web identity token exchanged at STS (EKS IRSA and pod identity set
/// <c>AWS_ROLE_ARN</c> and <c>AWS_WEB_IDENTITY_TOKEN_FILE</c>), else static keys for dev.
/// </summary>
public static class AwsCredentialsFactory
{
    public static AWSCredentials Create(AwsSecretsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.UsesWebIdentity)
        {
            return new WebIdentityCredentials(options);
        }

        if (options.AccessKeyId is { } key && options.SecretAccessKey is { } secret)
        {
            return options.SessionToken is { } token
                ? new SessionAWSCredentials(key, secret.Reveal(), token.Reveal())
                : new BasicAWSCredentials(key, secret.Reveal());
        }

        throw new InvalidOperationException("AWS Secrets Manager needs AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE, or AWS_ACCESS_KEY_ID with AWS_SECRET_ACCESS_KEY.");
    }
}
