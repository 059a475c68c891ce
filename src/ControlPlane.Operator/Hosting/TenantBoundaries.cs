using ControlPlane.Operator.Controllers;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Confinement;

namespace ControlPlane.Operator.Hosting;

/// <summary>Builds the Tenant reconciler's trust boundaries from the operator's options and the secret store's services.</summary>
public static class TenantBoundaries
{
    /// <summary>The secret store's per-kind policies, with the admin secrets of <paramref name="options"/> reserved.</summary>
    public static SecretReferenceConfinement Confinement(IServiceProvider services, OperatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SecretReferenceConfinement(
            services.GetServices<ISecretReferencePolicy>(), services.GetRequiredService<SecretReferencePlanner>(), options.AdminSecretReferences());
    }

    public static TenantNamespaces Namespaces(OperatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TenantNamespaces(options.Namespaces, options.OperatorNamespace);
    }
}
