using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Confinement;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Everything outside Kubernetes that the Tenant reconciler converges: the catalog, the secret store, the tenant
/// database servers and the tenant schema. One instance per process.
/// </summary>
public sealed record TenantLifecycle(
    TenantCatalog Catalog,
    ISecretStore Secrets,
    Func<string, SecretReference> GeneratedSecretRef,
    TenantDatabaseServers Servers,
    TenantSchemaMigrator Migrator,
    string OperatorIdentity)
{
    public IProvisioningFaults Faults { get; init; } = IProvisioningFaults.None;

    /// <summary>Consecutive failures per Tenant, shared by every worker (issue 13: shown past the threshold, recorded once).</summary>
    public TenantFailureTracker Failures { get; init; } = new();

    /// <summary>Placements chosen and not yet registered in the catalog (issue 17), shared by every worker.</summary>
    public TenantPlacements Placements { get; init; } = new();

    /// <summary>Which secret references a Tenant may have the operator read for it (issue 12); no default, so none is left open.</summary>
    public required SecretReferenceConfinement Confinement { get; init; }

    /// <summary>The namespaces whose Tenants are served.</summary>
    public required TenantNamespaces Namespaces { get; init; }
}
