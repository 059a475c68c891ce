using System.Text.Json.Nodes;
using Google.Apis.Auth.OAuth2;

namespace ControlPlane.Secrets.Gcp;

/// <summary>
/// The operator's Google identity through Google.Apis.Auth: a credentials file of type <c>service_account</c>
/// (dev) or <c>external_account</c> (workload identity federation, token exchange at Google STS), else the
/// metadata server (GKE Workload Identity). Other file types are refused: a credential configuration names
/// URLs and commands the library would trust.
/// </summary>
public static class GcpCredentials
{
    public static async Task<ITokenAccess> CreateAsync(GcpSecretOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.CredentialsFile is not { } file)
        {
            var metadata = $"http://{options.MetadataHost}";
            return GoogleCredential.FromComputeCredential(new ComputeCredential(new ComputeCredential.Initializer(
                $"{metadata}/computeMetadata/v1/instance/service-accounts/default/token",
                $"{metadata}/computeMetadata/v1/instance/service-accounts/default/identity")));
        }

        var type = (string?)JsonNode.Parse(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false))?["type"];
        if (type is not (JsonCredentialParameters.ServiceAccountCredentialType or JsonCredentialParameters.ExternalAccountCredentialType))
        {
            throw new InvalidOperationException(
                $"GOOGLE_APPLICATION_CREDENTIALS must name a service_account key or an external_account configuration (got type '{type}').");
        }

        var credential = await CredentialFactory.FromFileAsync(file, type, cancellationToken).ConfigureAwait(false);
        return credential.CreateScoped(GcpSecretOptions.CloudPlatformScope);
    }
}
