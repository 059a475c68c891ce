using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Store.Catalog;
using k8s;
using Microsoft.Extensions.Options;

namespace ControlPlane.Operator.Audit;

/// <summary>Assembles the estate audit the same way for the operator (periodic, leader only) and the <c>audit</c> command.</summary>
public static class EstateAudits
{
    /// <summary>
    /// The observer over the catalog, the server registry as it is at each audit, the Tenants <paramref name="tenants"/>
    /// yields, and the generated secrets of the secret store configured in <paramref name="services"/>.
    /// </summary>
    public static EstateObserver Observer(
        TenantCatalog catalog, TenantDatabaseServers servers, ISecretStore store, TenantNamespaces namespaces,
        Func<CancellationToken, Task<IReadOnlyList<Tenant>>> tenants, IServiceProvider services, IKubernetes kubernetes)
    {
        ArgumentNullException.ThrowIfNull(namespaces);
        ArgumentNullException.ThrowIfNull(services);
        var secrets = new GeneratedSecrets(
            kubernetes,
            services.GetRequiredService<IOptions<SecretStoreOptions>>().Value,
            services.GetRequiredService<SecretReferencePlanner>(),
            store);
        return new EstateObserver(catalog, servers, tenants, namespaces.Serves, secrets);
    }

    /// <summary>The leader's periodic auditor: Tenants from the informer's cache (no extra LIST), events as the operator.</summary>
    public static EstateAuditor ForOperator(
        ResourceCache<Tenant> informerCache, TenantLifecycle lifecycle, IServiceProvider services, IKubernetes kubernetes, EstateAuditMetrics metrics, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(informerCache);
        ArgumentNullException.ThrowIfNull(lifecycle);
        var observer = Observer(lifecycle.Catalog, lifecycle.Servers, lifecycle.Secrets, lifecycle.Namespaces,
            _ => Task.FromResult<IReadOnlyList<Tenant>>([.. informerCache.Items]), services, kubernetes);
        return new EstateAuditor(observer, lifecycle.Catalog, metrics, lifecycle.OperatorIdentity, logger);
    }
}
