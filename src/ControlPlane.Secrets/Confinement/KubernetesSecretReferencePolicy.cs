using System.Net;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Kubernetes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Confinement;

/// <summary>
/// <c>k8s:</c> references: a Secret in the Tenant's own namespace whose annotation
/// <see cref="KubernetesSecretLabels.GrantedToTenantsKey"/> names the Tenant, and that the operator did not generate.
/// Whoever may annotate a Secret may read it already, so the grant adds no reach; a Tenant author who may only write
/// Tenants gains nothing. The Secret is read (one GET) to see its annotation; missing, forbidden to the operator,
/// ungranted and generated all answer false, so the refusal never tells them apart.
/// </summary>
public sealed class KubernetesSecretReferencePolicy(IKubernetes client, ILogger<KubernetesSecretReferencePolicy> logger) : ISecretReferencePolicy
{
    public SecretBackendKind Kind => SecretBackendKind.Kubernetes;

    public string Refusal(SecretRequester requester)
    {
        ArgumentNullException.ThrowIfNull(requester);
        return $"a k8s: reference must name a Secret in the Tenant's own namespace ({requester.Namespace}) that lists this Tenant in its annotation " +
               $"{KubernetesSecretLabels.GrantedToTenantsKey} and that the operator did not generate; this one is not usable by this Tenant (docs/secrets.md).";
    }

    public async Task<bool> PermitsAsync(SecretReference reference, SecretRequester requester, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(requester);
        if (reference.Container != requester.Namespace)
        {
            return false;
        }

        V1Secret secret;
        try
        {
            secret = await client.CoreV1.ReadNamespacedSecretAsync(reference.Name, reference.Container, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (HttpOperationException failure) when (failure.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
        {
            // Forbidden says the operator has no Role in that namespace (config/samples): for the log, not for the Tenant.
            if (failure.Response.StatusCode == HttpStatusCode.Forbidden)
            {
                Log.ConfinementForbidden(logger, reference.Container);
            }

            return false;
        }
        catch (HttpOperationException failure)
        {
            var status = (int)failure.Response.StatusCode;
            throw new SecretStoreException(
                $"The Kubernetes API answered {status} while checking the grant of a k8s: secret reference; retrying.", reference,
                isTransient: status >= 500 || status == 429, failure);
        }

        return !IsGenerated(secret) && Grants(secret, requester.Name);
    }

    private static bool IsGenerated(V1Secret secret) =>
        secret.Metadata?.Labels?.TryGetValue(KubernetesSecretLabels.ManagedByKey, out var managedBy) == true
        && managedBy == KubernetesSecretLabels.ManagedBy;

    private static bool Grants(V1Secret secret, string tenant) =>
        secret.Metadata?.Annotations?.TryGetValue(KubernetesSecretLabels.GrantedToTenantsKey, out var granted) == true
        && granted.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(tenant, StringComparer.Ordinal);
}
