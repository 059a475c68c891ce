using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;

namespace ControlPlane.Secrets.Confinement;

/// <summary>
/// <c>vault:</c> references: a path strictly below the Tenant's namespace prefix (<c>VAULT_TENANT_PREFIX</c> with
/// <c>{namespace}</c> filled in). Decided on the text alone, without asking Vault, so existence cannot show. Unset
/// prefix: no Tenant may use Vault references.
/// </summary>
public sealed class VaultSecretReferencePolicy(VaultTenantPrefix? prefix) : ISecretReferencePolicy
{
    public SecretBackendKind Kind => SecretBackendKind.Vault;

    public string Refusal(SecretRequester requester)
    {
        ArgumentNullException.ThrowIfNull(requester);
        return prefix is null
            ? $"vault: references are not available to Tenants ({SecretStoreConfiguration.VaultTenantPrefixVariable} is not set) (docs/secrets.md)."
            : $"a vault: reference must lie below vault:{prefix.For(requester.Namespace)}/ for Tenants of namespace {requester.Namespace}; " +
              "this one is not usable by this Tenant (docs/secrets.md).";
    }

    public Task<bool> PermitsAsync(SecretReference reference, SecretRequester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(requester);
        return Task.FromResult(prefix is not null && prefix.NamespaceOf(reference) == requester.Namespace);
    }
}
