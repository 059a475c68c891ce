using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Configuration;
using k8s;
using Microsoft.Extensions.Options;
using Tenant = ControlPlane.Operator.Api.V1Alpha1.Tenant;

namespace ControlPlane.Operator.Audit;

/// <summary>Assembles the estate audit the same way for the operator (periodic, leader only) and the <c>audit</c> command.</summary>
public static class EstateAudits
{
    /// <summary>
    /// The observer over <paramref name="lifecycle"/>'s catalog and server registry, the Tenants <paramref name="tenants"/>
    /// yields, and the generated secrets of the secret store configured in <paramref name="services"/>.
    /// </summary>
    public static EstateObserver Observer(
        TenantLifecycle lifecycle, Func<CancellationToken, Task<IReadOnlyList<Tenant>>> tenants, IServiceProvider services, IKubernetes kubernetes)
    {
        ArgumentNullException.ThrowIfNull(lifecycle);
        ArgumentNullException.ThrowIfNull(services);
        var secrets = new GeneratedSecrets(
            kubernetes,
            services.GetRequiredService<IOptions<SecretStoreOptions>>().Value,
            services.GetRequiredService<SecretReferencePlanner>(),
            lifecycle.Secrets);
        return new EstateObserver(lifecycle.Catalog, lifecycle.Servers, tenants, lifecycle.Namespaces.Serves, secrets);
    }

    /// <summary>The leader's periodic auditor: Tenants from the informer's cache (no extra LIST), events as the operator.</summary>
    public static EstateAuditor ForOperator(
        TenantOperator tenantOperator, TenantLifecycle lifecycle, IServiceProvider services, IKubernetes kubernetes, EstateAuditMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(tenantOperator);
        ArgumentNullException.ThrowIfNull(lifecycle);
        var observer = Observer(lifecycle, _ => Task.FromResult<IReadOnlyList<Tenant>>([.. tenantOperator.Informer.Cache.Items]), services, kubernetes);
        return new EstateAuditor(observer, lifecycle.Catalog, metrics, lifecycle.OperatorIdentity, logger);
    }
}
