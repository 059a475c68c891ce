using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Cloud;

/// <summary>
/// What the three cloud secret managers share: a secret is a JSON object of keys, every write is a new version
/// of the whole object, and only secrets carrying the operator's managed-by mark are changed or deleted.
/// Subclasses speak one cloud's API through four primitives.
/// </summary>
public abstract class JsonSecretBackend : ISecretBackend
{
    private const int Attempts = 8;

    public abstract SecretBackendKind Kind { get; }

    /// <summary>First wait when another writer is creating the secret; doubled per attempt.</summary>
    protected TimeSpan ContentionDelay { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// The latest version, or null when the secret does not exist. Without <paramref name="ownership"/> (plain
    /// reads) a backend may skip the call that fetches tags or labels and report <c>Managed = false</c>.
    /// </summary>
    protected abstract Task<CloudSecret?> ReadLatestAsync(SecretReference reference, bool ownership, CancellationToken cancellationToken);

    /// <summary>Creates the secret, marked as the operator's, holding <paramref name="json"/>; false when it already exists.</summary>
    protected abstract Task<bool> TryCreateAsync(SecretReference reference, string json, SecretOwner owner, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="json"/> as the new latest version of an existing secret.</summary>
    protected abstract Task AddVersionAsync(SecretReference reference, string json, CancellationToken cancellationToken);

    /// <summary>Removes the secret with all its versions.</summary>
    protected abstract Task DeleteSecretAsync(SecretReference reference, CancellationToken cancellationToken);

    public async Task<SecretValue> ReadAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var secret = await ReadLatestAsync(reference, ownership: false, cancellationToken).ConfigureAwait(false);
        if (secret?.Data is null)
        {
            throw new SecretNotFoundException($"{Kind} has no secret {reference.Name} in {reference.Container} (reference {reference}).", reference);
        }

        return secret.Data.TryGetValue(reference.Key!, out var value) && value.Length > 0
            ? new SecretValue(value)
            : throw new SecretNotFoundException($"The {Kind} secret {reference.Name} has no key '{reference.Key}' (reference {reference}).", reference);
    }

    /// <summary>The key and its sibling mark entry, both from the latest version.</summary>
    public async Task<MarkedSecretValue> ReadMarkedAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var secret = await ReadLatestAsync(reference, ownership: false, cancellationToken).ConfigureAwait(false);
        return secret?.Data is { } data && data.TryGetValue(reference.Key!, out var value) && value.Length > 0
            ? new MarkedSecretValue(new SecretValue(value), data.GetValueOrDefault(RotationMarks.DataKey(reference.Key!)))
            : throw new SecretNotFoundException($"{Kind} has no value at {reference}: the secret or its key is missing.", reference);
    }

    public async Task WriteAsync(SecretReference reference, SecretValue value, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(value);
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var secret = await ReadLatestAsync(reference, ownership: true, cancellationToken).ConfigureAwait(false);
            if (secret is null)
            {
                if (await TryCreateAsync(reference, Document(null, reference.Key!, value), owner, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            EnsureManaged(secret, reference);
            await AddVersionAsync(reference, Document(secret.Data, reference.Key!, value), cancellationToken).ConfigureAwait(false);
            return;
        }

        throw Contended(reference);
    }

    public async Task<SecretDeletion> DeleteAsync(SecretReference reference, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        var secret = await ReadLatestAsync(reference, ownership: true, cancellationToken).ConfigureAwait(false);
        if (secret?.Data is null || !secret.Data.ContainsKey(reference.Key!))
        {
            return SecretDeletion.NotFound;
        }

        if (!secret.Managed)
        {
            return SecretDeletion.NotOwned;
        }

        var mark = RotationMarks.DataKey(reference.Key!);
        var rest = secret.Data.Where(pair => pair.Key != reference.Key && pair.Key != mark).ToDictionary(StringComparer.Ordinal);
        if (rest.Count == 0)
        {
            await DeleteSecretAsync(reference, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await AddVersionAsync(reference, JsonSecretDocument.Serialize(rest), cancellationToken).ConfigureAwait(false);
        }

        return SecretDeletion.Deleted;
    }

    /// <summary>
    /// Creating the secret is the atomic step (AWS CreateSecret, Google secrets.create answer "exists" to all
    /// writers but one); a loser reads the winner's value. A secret that exists without the key gets a new
    /// version, which is not atomic against another operator process (ADR-CP-009).
    /// </summary>
    public async Task<SecretValue> GetOrCreateAsync(SecretReference reference, SecretValue candidate, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        var delay = ContentionDelay;
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var secret = await ReadLatestAsync(reference, ownership: true, cancellationToken).ConfigureAwait(false);
            if (secret?.Data is { } data && data.TryGetValue(reference.Key!, out var stored) && stored.Length > 0)
            {
                return new SecretValue(stored);
            }

            if (secret is null)
            {
                if (await TryCreateAsync(reference, Document(null, reference.Key!, candidate), owner, cancellationToken).ConfigureAwait(false))
                {
                    return candidate;
                }
            }
            else if (secret.Data is not null || attempt == Attempts / 2)
            {
                // The secret exists without the key (or a creator died before its first version): add it.
                EnsureManaged(secret, reference);
                await AddVersionAsync(reference, Document(secret.Data, reference.Key!, candidate), cancellationToken).ConfigureAwait(false);
                continue;
            }

            // Another writer created the secret and has not stored its first version yet.
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            delay *= 2;
        }

        throw Contended(reference);
    }

    /// <summary>
    /// The mark is the sibling entry <see cref="RotationMarks.DataKey"/> of the same JSON document, so value and mark are
    /// one version. Like <see cref="WriteAsync"/>, the read and the new version are not atomic against another operator
    /// process (ADR-CP-009); the reconciler's leader election keeps to one writer.
    /// </summary>
    public async Task<SecretValue> GetOrRotateAsync(SecretReference reference, SecretValue candidate, string rotation, SecretOwner owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentException.ThrowIfNullOrEmpty(rotation);
        var mark = RotationMarks.DataKey(reference.Key!);
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var secret = await ReadLatestAsync(reference, ownership: true, cancellationToken).ConfigureAwait(false);
            if (secret?.Data is { } data && data.TryGetValue(mark, out var done) && done == rotation
                && data.TryGetValue(reference.Key!, out var stored) && stored.Length > 0)
            {
                return new SecretValue(stored);
            }

            var document = new Dictionary<string, string>(secret?.Data ?? new Dictionary<string, string>(), StringComparer.Ordinal)
            {
                [reference.Key!] = candidate.Reveal(),
                [mark] = rotation,
            };
            if (secret is null)
            {
                if (await TryCreateAsync(reference, JsonSecretDocument.Serialize(document), owner, cancellationToken).ConfigureAwait(false))
                {
                    return candidate;
                }

                continue;
            }

            EnsureManaged(secret, reference);
            await AddVersionAsync(reference, JsonSecretDocument.Serialize(document), cancellationToken).ConfigureAwait(false);
            return candidate;
        }

        throw Contended(reference);
    }

    private void EnsureManaged(CloudSecret secret, SecretReference reference)
    {
        if (!secret.Managed)
        {
            throw new SecretOwnershipException(
                $"The {Kind} secret behind {reference} was not created by the operator (no {CloudOwnership.ManagedByKey}={CloudOwnership.ManagedByValue} mark); " +
                "it is left untouched. Write it yourself, or let the operator generate its own.", reference);
        }
    }

    private static string Document(IReadOnlyDictionary<string, string>? data, string key, SecretValue value)
    {
        var map = data is null ? new Dictionary<string, string>(StringComparer.Ordinal) : new Dictionary<string, string>(data, StringComparer.Ordinal);
        map[key] = value.Reveal();
        return JsonSecretDocument.Serialize(map);
    }

    private SecretStoreException Contended(SecretReference reference) =>
        new($"The {Kind} secret behind {reference} kept changing under concurrent writers ({Attempts} attempts); try again.", reference, isTransient: true);
}
