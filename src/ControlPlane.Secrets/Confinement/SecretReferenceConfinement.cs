using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Confinement;

/// <summary>
/// Decides whether a Tenant may have the operator read a reference on its behalf (issue 12, "secret references
/// confined"). Three rules, in order: a kind without a policy is refused; a reference the operator generates for
/// some tenant (<see cref="SecretReferencePlanner.IsGenerated"/>) or one of the operator's own (the tenant database
/// servers' admin secrets) is refused whatever the backend says; everything else is up to the kind's policy. Each refusal
/// is the policy's one message, so an admin or generated reference reads like any other refused one.
/// </summary>
public sealed class SecretReferenceConfinement
{
    private readonly Dictionary<SecretBackendKind, ISecretReferencePolicy> _policies;
    private readonly SecretReferencePlanner _planner;
    private readonly HashSet<(SecretBackendKind, string)> _reserved;

    /// <param name="policies">One per reference kind a Tenant may use.</param>
    /// <param name="planner">Knows the shape of every generated reference.</param>
    /// <param name="reserved">The operator's own references (admin secrets); refused with any key.</param>
    public SecretReferenceConfinement(IEnumerable<ISecretReferencePolicy> policies, SecretReferencePlanner planner, IEnumerable<SecretReference> reserved)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(planner);
        ArgumentNullException.ThrowIfNull(reserved);
        _policies = policies.ToDictionary(p => p.Kind);
        _planner = planner;
        _reserved = [.. reserved.Select(r => (r.Backend, r.Location))];
    }

    public async Task<SecretReferenceVerdict> CheckAsync(SecretReference reference, SecretRequester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(requester);
        if (!_policies.TryGetValue(reference.Backend, out var policy))
        {
            return SecretReferenceVerdict.Refused(
                $"{Scheme(reference.Backend)}: references are not available to Tenants; use {string.Join(" or ", _policies.Keys.Order().Select(k => Scheme(k) + ":"))} (docs/secrets.md).");
        }

        if (_planner.IsGenerated(reference) || _reserved.Contains((reference.Backend, reference.Location)))
        {
            return SecretReferenceVerdict.Refused(policy.Refusal(requester));
        }

        return await policy.PermitsAsync(reference, requester, cancellationToken).ConfigureAwait(false)
            ? SecretReferenceVerdict.Allowed
            : SecretReferenceVerdict.Refused(policy.Refusal(requester));
    }

    private static string Scheme(SecretBackendKind kind) => kind switch
    {
        SecretBackendKind.Kubernetes => "k8s",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
