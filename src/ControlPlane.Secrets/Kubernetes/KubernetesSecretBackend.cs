using System.Net;
using System.Text;
using System.Text.Json;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Kubernetes;

/// <summary>
/// <c>k8s:&lt;namespace&gt;/&lt;secret-name&gt;#&lt;key&gt;</c> as a key of a core/v1 Secret. Reads work on any Secret
/// the operator may read; writes and deletes only on Secrets labelled as created by the operator. Updates are
/// PUTs carrying the resourceVersion read, so a concurrent change answers 409 and the cycle is repeated.
/// RBAC needed: get, create, update, delete on secrets in the namespaces referenced.
/// </summary>
public sealed class KubernetesSecretBackend(IKubernetes client, KubernetesSecretOptions options, ILogger<KubernetesSecretBackend> logger) : ISecretBackend
{
    public SecretBackendKind Kind => SecretBackendKind.Kubernetes;

    public async Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        // One message for a missing Secret and a missing key: it reaches Tenant status, and must not map what exists.
        var secret = await GetAsync(reference, cancellationToken).ConfigureAwait(false);
        return (secret is null ? null : ValueOf(secret, reference)) ?? throw NothingAt(reference);
    }

    /// <summary>The key's value and its entry in the Secret's <see cref="RotationMarks.Annotation"/>, from one GET.</summary>
    public async Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        var secret = await GetAsync(reference, cancellationToken).ConfigureAwait(false);
        var value = (secret is null ? null : ValueOf(secret, reference)) ?? throw NothingAt(reference);
        return new MarkedSecretValue(value, RotationOf(secret!, reference));
    }

    public Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken) =>
        UpsertAsync(reference, value, owner, overwrite: true, rotation: null, cancellationToken);

    public Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken) =>
        UpsertAsync(reference, candidate, owner, overwrite: false, rotation: null, cancellationToken);

    /// <summary>The mark is the Secret's <see cref="RotationMarks.Annotation"/>, replaced in the same PUT as the data.</summary>
    public Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(rotation);
        return UpsertAsync(reference, candidate, owner, overwrite: true, rotation, cancellationToken);
    }

    public async Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        for (var attempt = 1; attempt <= options.ConflictAttempts; attempt++)
        {
            var secret = await GetAsync(reference, cancellationToken).ConfigureAwait(false);
            if (secret is null)
            {
                return SecretDeletion.NotFound;
            }

            if (!IsManaged(secret))
            {
                return SecretDeletion.NotOwned;
            }

            if (secret.Data?.Remove(reference.Key!) != true)
            {
                return SecretDeletion.NotFound;
            }

            if (secret.Metadata.Annotations?.ContainsKey(RotationMarks.Annotation) == true)
            {
                secret.Metadata.Annotations[RotationMarks.Annotation] = WithRotation(secret, reference, null);
            }

            var done = secret.Data.Count == 0
                ? await Call(reference, () => client.CoreV1.DeleteNamespacedSecretAsync(
                    reference.Name,
                    reference.Container,
                    new V1DeleteOptions { Preconditions = new V1Preconditions { Uid = secret.Metadata.Uid, ResourceVersion = secret.Metadata.ResourceVersion } },
                    cancellationToken: cancellationToken), "delete", attempt).ConfigureAwait(false)
                : await Call(reference, () => client.CoreV1.ReplaceNamespacedSecretAsync(secret, reference.Name, reference.Container, cancellationToken: cancellationToken), "update", attempt)
                    .ConfigureAwait(false);
            if (done)
            {
                return SecretDeletion.Deleted;
            }
        }

        throw Contended(reference);
    }

    private async Task<SecretValue> UpsertAsync(
        SecretReference reference, SecretValue value, SecretOwner owner, bool overwrite, string? rotation, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(owner);
        for (var attempt = 1; attempt <= options.ConflictAttempts; attempt++)
        {
            var secret = await GetAsync(reference, cancellationToken).ConfigureAwait(false);
            if (secret is null)
            {
                var created = await Call(reference, () => client.CoreV1.CreateNamespacedSecretAsync(New(reference, value, owner, rotation), reference.Container, cancellationToken: cancellationToken), "create", attempt)
                    .ConfigureAwait(false);
                if (created)
                {
                    return value;
                }

                continue;
            }

            if (!overwrite && ValueOf(secret, reference) is { } existing)
            {
                return existing;
            }

            if (rotation is not null && RotationOf(secret, reference) == rotation && ValueOf(secret, reference) is { } rotated)
            {
                return rotated;
            }

            if (!IsManaged(secret))
            {
                throw new SecretOwnershipException(
                    $"Kubernetes Secret {reference.Container}/{reference.Name} was not created by the operator (no label {KubernetesSecretLabels.Selector}); " +
                    $"it will not be modified. Write the key yourself or point the reference at a Secret the operator manages (reference {reference}).",
                    reference);
            }

            secret.Data ??= new Dictionary<string, byte[]>(StringComparer.Ordinal);
            secret.Data[reference.Key!] = Encoding.UTF8.GetBytes(value.Reveal());
            if (rotation is not null)
            {
                secret.Metadata.Annotations ??= new Dictionary<string, string>(StringComparer.Ordinal);
                secret.Metadata.Annotations[RotationMarks.Annotation] = WithRotation(secret, reference, rotation);
            }

            var replaced = await Call(reference, () => client.CoreV1.ReplaceNamespacedSecretAsync(secret, reference.Name, reference.Container, cancellationToken: cancellationToken), "update", attempt)
                .ConfigureAwait(false);
            if (replaced)
            {
                return value;
            }
        }

        throw Contended(reference);
    }

    private static V1Secret New(SecretReference reference, SecretValue value, SecretOwner owner, string? rotation) => new()
    {
        ApiVersion = "v1",
        Kind = "Secret",
        Type = "Opaque",
        Metadata = new V1ObjectMeta
        {
            Name = reference.Name,
            NamespaceProperty = reference.Container,
            Annotations = rotation is null
                ? null
                : new Dictionary<string, string>(StringComparer.Ordinal) { [RotationMarks.Annotation] = WithRotation(new V1Secret(), reference, rotation) },
            Labels = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [KubernetesSecretLabels.ManagedByKey] = KubernetesSecretLabels.ManagedBy,
                [KubernetesSecretLabels.TenantKey] = owner.Tenant,
            },
        },
        Data = new Dictionary<string, byte[]>(StringComparer.Ordinal) { [reference.Key!] = Encoding.UTF8.GetBytes(value.Reveal()) },
    };

    private static bool IsManaged(V1Secret secret) =>
        secret.Metadata?.Labels is { } labels &&
        labels.TryGetValue(KubernetesSecretLabels.ManagedByKey, out var managedBy) &&
        managedBy == KubernetesSecretLabels.ManagedBy;

    /// <summary>The rotation request that wrote the key's current value, or null (never rotated, or the mark is unreadable).</summary>
    private static string? RotationOf(V1Secret secret, SecretReference reference) =>
        Marks(secret).TryGetValue(reference.Key!, out var rotation) ? rotation : null;

    /// <summary>The annotation's JSON with the key's mark replaced (or removed when <paramref name="rotation"/> is null).</summary>
    private static string WithRotation(V1Secret secret, SecretReference reference, string? rotation)
    {
        var marks = Marks(secret);
        if (rotation is null)
        {
            marks.Remove(reference.Key!);
        }
        else
        {
            marks[reference.Key!] = rotation;
        }

        return JsonSerializer.Serialize(marks);
    }

    private static Dictionary<string, string> Marks(V1Secret secret)
    {
        if (secret.Metadata?.Annotations is { } annotations && annotations.TryGetValue(RotationMarks.Annotation, out var json))
        {
            try
            {
                return JsonSerializer.Deserialize<Dictionary<string, string>>(json) ?? new(StringComparer.Ordinal);
            }
            catch (JsonException)
            {
                // Edited by hand into something else: treated as "no mark", so the next rotation writes a fresh one.
            }
        }

        return new(StringComparer.Ordinal);
    }

    private static SecretValue? ValueOf(V1Secret secret, SecretReference reference) =>
        secret.Data is { } data && data.TryGetValue(reference.Key!, out var bytes) && bytes is { Length: > 0 }
            ? new SecretValue(Encoding.UTF8.GetString(bytes))
            : null;

    private async Task<V1Secret?> GetAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        try
        {
            return await client.CoreV1.ReadNamespacedSecretAsync(reference.Name, reference.Container, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException failure) when (failure.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        catch (HttpOperationException failure)
        {
            throw Translate(failure, reference, "get");
        }
    }

    /// <summary>Runs a write; false means "someone else changed it first" (409), so the caller reads again.</summary>
    private async Task<bool> Call<T>(SecretReference reference, Func<Task<T>> write, string verb, int attempt)
    {
        try
        {
            await write().ConfigureAwait(false);
            return true;
        }
        catch (HttpOperationException failure) when (failure.Response.StatusCode == HttpStatusCode.Conflict)
        {
            Log.KubernetesConflict(logger, reference, attempt);
            return false;
        }
        catch (HttpOperationException failure) when (verb == "delete" && failure.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // Deleted by someone else between our read and our delete: the outcome we wanted.
            return true;
        }
        catch (HttpOperationException failure)
        {
            throw Translate(failure, reference, verb);
        }
    }

    // The API server's error body never holds Secret data, but only the status and reason are kept anyway.
    private static SecretStoreException Translate(HttpOperationException failure, SecretReference reference, string verb)
    {
        var where = $"{reference.Container}/{reference.Name}";
        return failure.Response.StatusCode switch
        {
            HttpStatusCode.Forbidden => new SecretAccessDeniedException(
                $"The operator's service account may not {verb} Secret {where}: grant '{verb}' on 'secrets' in namespace {reference.Container} (reference {reference}).", reference),
            HttpStatusCode.NotFound => NothingAt(reference),
            HttpStatusCode.Unauthorized => new SecretAccessDeniedException(
                $"The Kubernetes API rejected the operator's credentials (401) on {verb} Secret {where} (reference {reference}).", reference),
            var status when (int)status >= 500 || status == HttpStatusCode.TooManyRequests => new SecretBackendUnavailableException(
                $"The Kubernetes API answered {(int)status} to {verb} Secret {where} (reference {reference}).", reference),
            var status => new SecretStoreException(
                $"The Kubernetes API answered {(int)status} to {verb} Secret {where} (reference {reference}).", reference),
        };
    }

    private static SecretNotFoundException NothingAt(SecretReference reference) =>
        new($"No value at {reference}: the Secret, its key or its namespace is missing (or empty).", reference);

    private static SecretStoreException Contended(SecretReference reference) =>
        new($"Kubernetes Secret {reference.Container}/{reference.Name} kept changing under concurrent writers; try again (reference {reference}).", reference, isTransient: true);
}
