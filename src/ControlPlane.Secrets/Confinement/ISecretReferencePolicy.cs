using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Confinement;

/// <summary>
/// The confinement rule of one reference kind: which references of that kind a Tenant may use as its
/// <c>credentials.secretRef</c>. A kind without a policy is refused (<see cref="SecretReferenceConfinement"/>), so a new
/// backend is closed to Tenants until it brings its own policy.
/// </summary>
public interface ISecretReferencePolicy
{
    SecretBackendKind Kind { get; }

    /// <summary>The one refusal message for <paramref name="requester"/>: what a usable reference of this kind looks like.</summary>
    string Refusal(SecretRequester requester);

    /// <summary>
    /// Whether the reference is inside the requester's grant. Answers false alike for a target that is missing and one that
    /// exists but is not granted; throws <see cref="SecretStoreException"/> only for failures that say nothing about the
    /// target (the backend unreachable).
    /// </summary>
    Task<bool> PermitsAsync(SecretReference reference, SecretRequester requester, CancellationToken cancellationToken);
}
