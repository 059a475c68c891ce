using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Confinement;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The trust-boundary step: after the pure spec rules and before any side effect (finalizer, catalog row, Secret, role),
/// the Tenant's namespace must be one the operator serves and its <c>credentials.secretRef</c> must be one the Tenant was
/// granted (docs/secrets.md, "Secret references"). It needs I/O (a k8s: grant is an annotation on the Secret), which is
/// why it is not one of <see cref="TenantSpecRules"/>.
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>Null when the Tenant may proceed; otherwise the result of refusing (InvalidSpec) or of waiting for the backend.</summary>
    private async Task<ReconcileResult?> ConfineAsync(Tenant tenant, TenantIntent intent, CancellationToken cancellationToken)
    {
        var ns = tenant.Metadata.NamespaceProperty;
        if (!lifecycle.Namespaces.Serves(ns))
        {
            return await RefuseAsync(tenant, [lifecycle.Namespaces.Refusal(ns)], cancellationToken);
        }

        if (intent.GeneratedSecret)
        {
            return null;
        }

        try
        {
            var verdict = await lifecycle.Confinement.CheckAsync(intent.SecretRef, new SecretRequester(ns, tenant.Metadata.Name), cancellationToken);
            if (verdict.IsAllowed)
            {
                return null;
            }

            // InvalidSpec like any spec problem, but looked at again: a grant is made on the Secret, not in the Tenant's spec,
            // so no Tenant event would tell the operator that it appeared.
            await RefuseAsync(tenant, [$"spec.credentials.secretRef: {verdict.Refusal}"], cancellationToken);
            return ReconcileResult.RequeueAfter(BlockedRecheck);
        }
        catch (SecretStoreException e)
        {
            return await FailAsync(tenant, null, TenantFailures.Classify(e), e, cancellationToken);
        }
    }
}
