using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;

namespace ControlPlane.Secrets.Vault;

/// <summary>
/// <c>vault:&lt;mount&gt;/&lt;path&gt;#&lt;key&gt;</c> on the KV v2 engine. A KV v2 write replaces the whole
/// key/value map of a path, so one key is changed by read → modify → write with check-and-set on the version
/// read (<c>options.cas</c>); a concurrent writer makes Vault answer 400 and the cycle starts again.
/// Each write creates a new version, which is how Vault keeps the previous password for a rollback.
/// </summary>
public sealed class VaultKvBackend(VaultClient vault, VaultOptions options) : ISecretBackend
{
    private const int CheckAndSetAttempts = 5;

    public SecretBackendKind Kind => SecretBackendKind.Vault;

    public async Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var current = await ReadPathAsync(reference, cancellationToken).ConfigureAwait(false);
        // One message for a missing path and a missing key: it reaches Tenant status, and must not map what exists.
        return current.Data is not null && current.Data.TryGetValue(reference.Key!, out var value)
            ? new SecretValue(value)
            : throw new SecretNotFoundException($"No value at {reference}: the Vault secret or its key is missing.", reference);
    }

    /// <summary>The key and its sibling mark entry, from one read of the latest KV v2 version.</summary>
    public async Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var current = await ReadPathAsync(reference, cancellationToken).ConfigureAwait(false);
        return current.Data is not null && current.Data.TryGetValue(reference.Key!, out var value) && value.Length > 0
            ? new MarkedSecretValue(new SecretValue(value), current.Data.GetValueOrDefault(RotationMarks.DataKey(reference.Key!)))
            : throw new SecretNotFoundException($"No value at {reference}: the Vault secret or its key is missing.", reference);
    }

    public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken) =>
        ChangeAsync(reference, cancellationToken, data =>
        {
            data[reference.Key!] = value.Reveal();
            return true;
        });

    public async Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        string? existing = null;
        await ChangeAsync(reference, cancellationToken, data =>
        {
            if (data.TryGetValue(reference.Key!, out existing))
            {
                return false;
            }

            data[reference.Key!] = candidate.Reveal();
            return true;
        }).ConfigureAwait(false);
        return existing is null ? candidate : new SecretValue(existing);
    }

    /// <summary>The mark is the sibling entry <see cref="RotationMarks.DataKey"/> of the same KV v2 version (one check-and-set write).</summary>
    public async Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentException.ThrowIfNullOrEmpty(rotation);
        var mark = RotationMarks.DataKey(reference.Key!);
        string? existing = null;
        await ChangeAsync(reference, cancellationToken, data =>
        {
            if (data.TryGetValue(mark, out var done) && done == rotation && data.TryGetValue(reference.Key!, out existing))
            {
                return false;
            }

            existing = null;
            data[reference.Key!] = candidate.Reveal();
            data[mark] = rotation;
            return true;
        }).ConfigureAwait(false);
        return existing is null ? candidate : new SecretValue(existing);
    }

    public async Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        for (var attempt = 1; attempt <= CheckAndSetAttempts; attempt++)
        {
            var current = await ReadPathAsync(reference, cancellationToken).ConfigureAwait(false);
            if (current.Data is null || !current.Data.Remove(reference.Key!))
            {
                return SecretDeletion.NotFound;
            }

            current.Data.Remove(RotationMarks.DataKey(reference.Key!));

            if (current.Data.Count == 0)
            {
                // The last key: remove the path itself. Destroying metadata removes every version, so an old
                // password cannot be undeleted later; a soft delete keeps them for recovery.
                var segment = options.DestroyOnDelete ? "metadata" : "data";
                await ExpectSuccessAsync(new VaultRequest(HttpMethod.Delete, $"{reference.Container}/{segment}/{reference.Name}", Idempotent: true) { Reference = reference }, cancellationToken)
                    .ConfigureAwait(false);
                return SecretDeletion.Deleted;
            }

            if (await TryWriteAsync(reference, current.Data, current.Version, cancellationToken).ConfigureAwait(false))
            {
                return SecretDeletion.Deleted;
            }
        }

        throw Contended(reference);
    }

    private async Task ChangeAsync(SecretReference reference, CancellationToken cancellationToken, Func<Dictionary<string, string>, bool> change)
    {
        ArgumentNullException.ThrowIfNull(reference);
        for (var attempt = 1; attempt <= CheckAndSetAttempts; attempt++)
        {
            var current = await ReadPathAsync(reference, cancellationToken).ConfigureAwait(false);
            var data = current.Data ?? new Dictionary<string, string>(StringComparer.Ordinal);
            if (!change(data))
            {
                return;
            }

            if (await TryWriteAsync(reference, data, current.Version, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }

        throw Contended(reference);
    }

    /// <summary>The current key/value map and version; a missing or soft-deleted path has no map.</summary>
    private async Task<(Dictionary<string, string>? Data, long Version)> ReadPathAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var response = await vault.SendAsync(
            new VaultRequest(HttpMethod.Get, DataPath(reference), Idempotent: true) { Reference = reference }, cancellationToken).ConfigureAwait(false);
        var version = response.Body?["data"]?["metadata"]?["version"]?.GetValue<long>() ?? 0;
        if (response.Status == System.Net.HttpStatusCode.NotFound)
        {
            // A soft-deleted latest version answers 404 with its metadata: its version is still the CAS base.
            return (null, version);
        }

        if (!response.IsSuccess)
        {
            throw new SecretStoreException($"Vault GET {DataPath(reference)} answered HTTP {(int)response.Status}: {response.Errors}.", reference);
        }

        if (response.Body?["data"]?["data"] is not JsonObject map)
        {
            return (null, version);
        }

        var data = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in map)
        {
            data[key] = value?.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value?.ToJsonString() ?? "";
        }

        return (data, version);
    }

    private async Task<bool> TryWriteAsync(SecretReference reference, Dictionary<string, string> data, long version, CancellationToken cancellationToken)
    {
        var map = new JsonObject();
        foreach (var (key, value) in data)
        {
            map[key] = value;
        }

        var response = await vault.SendAsync(
            new VaultRequest(HttpMethod.Post, DataPath(reference), Idempotent: false)
            {
                Reference = reference,
                Body = new JsonObject { ["options"] = new JsonObject { ["cas"] = version }, ["data"] = map },
            },
            cancellationToken).ConfigureAwait(false);

        if (response.IsSuccess)
        {
            return true;
        }

        if (VaultErrors.IsCheckAndSetMismatch(response))
        {
            return false;
        }

        throw response.Status == System.Net.HttpStatusCode.NotFound
            ? new SecretNotFoundException($"Vault has no KV v2 mount '{reference.Container}' ({response.Errors}; reference {reference}).", reference)
            : new SecretStoreException($"Vault refused the write to {DataPath(reference)}: HTTP {(int)response.Status} {response.Errors} (reference {reference}).", reference);
    }

    private async Task ExpectSuccessAsync(VaultRequest request, CancellationToken cancellationToken)
    {
        var response = await vault.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess && response.Status != System.Net.HttpStatusCode.NotFound)
        {
            throw new SecretStoreException($"Vault {request.Method} {request.Path} answered HTTP {(int)response.Status}: {response.Errors}.", request.Reference);
        }
    }

    private static string DataPath(SecretReference reference) => $"{reference.Container}/data/{reference.Name}";

    private static SecretStoreException Contended(SecretReference reference) =>
        new($"The Vault secret behind {reference} kept changing under concurrent writers ({CheckAndSetAttempts} check-and-set attempts); try again.", reference, isTransient: true);
}
