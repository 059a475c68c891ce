using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace ControlPlane.Secrets.Aws;

/// <summary>
/// AssumeRoleWithWebIdentity with the projected token, through the SDK's STS client; the SDK's refreshing base
/// class caches the temporary keys and calls again before they expire. The token file is re-read on every
/// exchange because the kubelet rotates it.
/// </summary>
internal sealed class WebIdentityCredentials(AwsSecretsOptions options) : RefreshingAWSCredentials
{
    protected override CredentialsRefreshState GenerateNewCredentials() =>
        GenerateNewCredentialsAsync().GetAwaiter().GetResult();

    protected override async Task<CredentialsRefreshState> GenerateNewCredentialsAsync()
    {
        var token = (await File.ReadAllTextAsync(options.WebIdentityTokenFile!).ConfigureAwait(false)).Trim();
        var config = new AmazonSecurityTokenServiceConfig();
        if (options.StsEndpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(options.Region ?? "us-east-1");
        }

        // The exchange is unsigned: the web identity token is the proof.
        using var sts = new AmazonSecurityTokenServiceClient(new AnonymousAWSCredentials(), config);
        var response = await sts.AssumeRoleWithWebIdentityAsync(new AssumeRoleWithWebIdentityRequest
        {
            RoleArn = options.RoleArn,
            RoleSessionName = options.RoleSessionName,
            WebIdentityToken = token,
        }).ConfigureAwait(false);
        var credentials = response.Credentials;
        return new CredentialsRefreshState(
            new ImmutableCredentials(credentials.AccessKeyId, credentials.SecretAccessKey, credentials.SessionToken),
            credentials.Expiration ?? DateTime.UtcNow.AddMinutes(15));
    }
}
