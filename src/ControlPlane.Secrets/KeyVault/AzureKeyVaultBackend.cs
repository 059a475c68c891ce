using System.Collections.Concurrent;
using System.Net;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Cloud;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.KeyVault;

/// <summary>
/// <c>azure:&lt;vault-name&gt;/&lt;secret-name&gt;#&lt;key&gt;</c> in Azure Key Vault through the SDK's
/// <see cref="SecretClient"/> (one per vault): the value is the JSON object of the latest version, every write is a
/// new version carrying the managed-by tags (Key Vault keeps tags per version), and delete is soft delete followed by
/// purge. Key Vault has no create-if-absent, so this backend is wrapped in <see cref="SerializedSecretBackend"/>:
/// ensure-generated is atomic within one operator process only (ADR-CP-009).
/// </summary>
public sealed class AzureKeyVaultBackend(AzureKeyVaultOptions options, TokenCredential credential, ILogger<AzureKeyVaultBackend> logger, HttpPipelineTransport? transport = null)
    : JsonSecretBackend
{
    private const string JsonContentType = "application/json";

    private readonly ConcurrentDictionary<string, SecretClient> _clients = new(StringComparer.OrdinalIgnoreCase);

    public override SecretBackendKind Kind => SecretBackendKind.Azure;

    protected override async Task<CloudSecret?> ReadLatestAsync(SecretReference reference, bool ownership, CancellationToken cancellationToken)
    {
        // The latest version's tags come with its value: ownership costs no extra request here.
        var secret = await LatestAsync(reference, cancellationToken).ConfigureAwait(false);
        return secret is null
            ? null
            : new CloudSecret(JsonSecretDocument.Parse(secret.Value, reference), IsManaged(secret.Properties.Tags));
    }

    protected override async Task<bool> TryCreateAsync(SecretReference reference, string json, SecretOwner owner, CancellationToken cancellationToken)
    {
        // Not atomic against another process (no If-None-Match on secrets); SerializedSecretBackend orders this process's callers.
        await SetAsync(reference, json, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [CloudOwnership.ManagedByKey] = CloudOwnership.ManagedByValue,
            [CloudOwnership.TenantKey] = owner.Tenant,
        }, cancellationToken).ConfigureAwait(false);
        return true;
    }

    protected override async Task AddVersionAsync(SecretReference reference, string json, CancellationToken cancellationToken)
    {
        // Tags belong to a version: carry the latest version's forward, or the new version would lose the managed-by mark.
        var latest = await LatestAsync(reference, cancellationToken).ConfigureAwait(false)
                     ?? throw new SecretNotFoundException($"Azure Key Vault has no secret {reference.Name} in vault {reference.Container} to add a version to (reference {reference}).", reference);
        await SetAsync(reference, json, new Dictionary<string, string>(latest.Properties.Tags, StringComparer.Ordinal), cancellationToken).ConfigureAwait(false);
    }

    protected override async Task DeleteSecretAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var client = Client(reference);
        await CallAsync(reference, "delete", async () =>
        {
            var operation = await client.StartDeleteSecretAsync(reference.Name, cancellationToken).ConfigureAwait(false);
            await operation.WaitForCompletionAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }).ConfigureAwait(false);

        // Soft delete keeps the name taken until the retention ends; purge frees it, as AWS and Google delete at once.
        try
        {
            await client.PurgeDeletedSecretAsync(reference.Name, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.Forbidden)
        {
            // Purge protection, or no purge permission: the secret stays recoverable until Key Vault purges it.
            Log.AzurePurgeRefused(logger, reference, e.ErrorCode ?? "Forbidden");
        }
    }

    private async Task<KeyVaultSecret?> LatestAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var client = Client(reference);
        return await CallAsync<KeyVaultSecret?>(reference, "get", async () =>
        {
            try
            {
                return (await client.GetSecretAsync(reference.Name, cancellationToken: cancellationToken).ConfigureAwait(false)).Value;
            }
            catch (RequestFailedException e) when (e.Status == (int)HttpStatusCode.NotFound)
            {
                return null;
            }
        }).ConfigureAwait(false);
    }

    private Task SetAsync(SecretReference reference, string json, Dictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var secret = new KeyVaultSecret(reference.Name, json);
        secret.Properties.ContentType = JsonContentType;
        foreach (var (key, value) in tags)
        {
            secret.Properties.Tags[key] = value;
        }

        var client = Client(reference);
        return CallAsync(reference, "set", async () => (await client.SetSecretAsync(secret, cancellationToken).ConfigureAwait(false)).Value);
    }

    /// <summary>Maps the SDK's failures (after its own retries) to the store's typed errors; messages carry Key Vault's error code, never a value.</summary>
    private async Task<T> CallAsync<T>(SecretReference reference, string operation, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            var code = e.ErrorCode ?? ((HttpStatusCode)e.Status).ToString();
            throw e.Status switch
            {
                401 or 403 => new SecretAccessDeniedException(
                    $"Azure Key Vault refused {operation} for {reference}: {code}. Grant the operator's identity the 'Key Vault Secrets Officer' role on vault {reference.Container} (or an access policy with get, set, delete, purge).", reference),
                409 => new SecretStoreException(
                    $"Azure Key Vault refused {operation} for {reference}: {code}. A deleted secret of that name is still recoverable (soft delete); recover or purge it in vault {reference.Container}.", reference),
                0 or 408 or 429 or >= 500 => new SecretBackendUnavailableException(
                    $"Azure Key Vault {operation} for {reference} still fails after {options.MaxAttempts} attempts: {code}.", reference, e),
                _ => new SecretStoreException($"Azure Key Vault {operation} for {reference} failed: HTTP {e.Status} {code}.", reference),
            };
        }
        catch (AuthenticationFailedException e)
        {
            // Entra ID refused the identity (unknown client, wrong secret, federated token not trusted): not transient.
            throw new SecretAccessDeniedException(
                $"Azure Key Vault {operation} for {reference}: Entra ID refused the operator's identity ({FirstLine(e.Message)}). Check AZURE_CLIENT_ID, AZURE_TENANT_ID and the federated credential.", reference);
        }
    }

    private SecretClient Client(SecretReference reference) => _clients.GetOrAdd(reference.Container, vault =>
    {
        var clientOptions = new SecretClientOptions();
        clientOptions.Retry.MaxRetries = Math.Max(0, options.MaxAttempts - 1);
        clientOptions.Retry.Delay = options.RetryBaseDelay;
        clientOptions.Retry.Mode = RetryMode.Exponential;
        if (transport is not null)
        {
            clientOptions.Transport = transport;
        }

        return new SecretClient(options.VaultUri(vault), credential, clientOptions);
    });

    private static bool IsManaged(IDictionary<string, string> tags) =>
        tags.TryGetValue(CloudOwnership.ManagedByKey, out var value) && value == CloudOwnership.ManagedByValue;

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();
}
