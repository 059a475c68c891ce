using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Cloud;

namespace ControlPlane.Secrets.Gcp;

/// <summary>
/// <c>gcp:&lt;project&gt;/&lt;secret-id&gt;#&lt;key&gt;</c> in Google Secret Manager: the value is the payload of the
/// <c>latest</c> version; every write is <c>:addVersion</c>. <c>secrets.create</c> answers ALREADY_EXISTS to all
/// but one concurrent creator, which makes ensure-generated race-safe; a loser waits for the winner's first
/// version. Delete removes the secret with every version.
/// </summary>
public sealed class GcpSecretManagerBackend(GcpSecretManagerClient client) : JsonSecretBackend
{
    public override SecretBackendKind Kind => SecretBackendKind.Gcp;

    protected override async Task<CloudSecret?> ReadLatestAsync(SecretReference reference, bool ownership, CancellationToken cancellationToken)
    {
        var version = await client.SendAsync(HttpMethod.Get, $"{Secret(reference)}/versions/latest:access", null, reference, cancellationToken).ConfigureAwait(false);
        var data = (string?)version?["payload"]?["data"] is { } encoded
            ? JsonSecretDocument.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(encoded)), reference)
            : null;
        if (!ownership)
        {
            return data is null ? null : new CloudSecret(data, Managed: false);
        }

        // Labels live on the secret, not the version; a 404 on the version may still be a secret without versions.
        var secret = await client.SendAsync(HttpMethod.Get, Secret(reference), null, reference, cancellationToken).ConfigureAwait(false);
        if (secret is null)
        {
            return null;
        }

        var managed = (string?)secret["labels"]?[CloudOwnership.ManagedByKey] == CloudOwnership.ManagedByValue;
        return new CloudSecret(data, managed);
    }

    protected override async Task<bool> TryCreateAsync(SecretReference reference, string json, SecretOwner owner, CancellationToken cancellationToken)
    {
        var created = await client.SendAsync(HttpMethod.Post, $"projects/{reference.Container}/secrets?secretId={reference.Name}", new JsonObject
        {
            ["replication"] = new JsonObject { ["automatic"] = new JsonObject() },
            ["labels"] = new JsonObject
            {
                [CloudOwnership.ManagedByKey] = CloudOwnership.ManagedByValue,
                [CloudOwnership.TenantKey] = CloudOwnership.LabelValue(owner.Tenant),
            },
        }, reference, cancellationToken, conflictIsNull: true).ConfigureAwait(false);
        if (created is null)
        {
            return false;
        }

        await AddVersionAsync(reference, json, cancellationToken).ConfigureAwait(false);
        return true;
    }

    protected override async Task AddVersionAsync(SecretReference reference, string json, CancellationToken cancellationToken)
    {
        var added = await client.SendAsync(HttpMethod.Post, $"{Secret(reference)}:addVersion", new JsonObject
        {
            ["payload"] = new JsonObject { ["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(json)) },
        }, reference, cancellationToken).ConfigureAwait(false);
        if (added is null)
        {
            throw new SecretNotFoundException($"Google Secret Manager has no secret {reference.Name} in project {reference.Container} to add a version to (reference {reference}).", reference);
        }
    }

    protected override Task DeleteSecretAsync(SecretReference reference, CancellationToken cancellationToken) =>
        client.SendAsync(HttpMethod.Delete, Secret(reference), null, reference, cancellationToken);

    private static string Secret(SecretReference reference) => $"projects/{reference.Container}/secrets/{reference.Name}";
}
