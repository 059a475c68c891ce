using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Audit;

/// <summary>
/// Everything the estate audit compares, read once (<see cref="EstateObserver"/>): the input of the pure
/// <see cref="EstateAudit.Compare"/>.
/// </summary>
/// <param name="Rows">Every catalog row, live and deleted.</param>
/// <param name="Servers">Every tenant database server the registry held at audit time.</param>
/// <param name="Tenants">The Tenants of the namespaces the operator serves.</param>
/// <param name="Serves">Whether the operator serves Tenants of a namespace (rows owned elsewhere are not compared with Kubernetes).</param>
/// <param name="Secrets">The generated secrets as far as the backend lets them be seen.</param>
public sealed record EstateObservation(
    IReadOnlyList<CatalogTenant> Rows,
    IReadOnlyList<ObservedServer> Servers,
    IReadOnlyList<ObservedTenant> Tenants,
    Func<string, bool> Serves,
    ObservedSecrets Secrets);

/// <summary>One tenant database server: its inventory, or why it could not be read.</summary>
public sealed record ObservedServer(string Name, string Host, int Port, ServerInventory? Inventory, string? Problem = null);

/// <summary>A Tenant as the audit compares it: identity, what its spec asks for, and what its status reports.</summary>
public sealed record ObservedTenant(
    string Namespace,
    string Name,
    string Slug,
    bool GeneratedSecret,
    bool Deleting,
    bool StatusCurrent,
    string? StatusTenantId,
    string? Phase,
    string? StatusDatabase,
    string? StatusHost,
    int? StatusPort,
    string? StatusSchemaVersion)
{
    public string Subject => $"Tenant {Namespace}/{Name}";

    public static ObservedTenant From(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var status = tenant.Status;
        return new ObservedTenant(
            tenant.Metadata.NamespaceProperty,
            tenant.Metadata.Name,
            TenantSpecRules.EffectiveSlug(tenant),
            tenant.Spec.Credentials?.SecretRef is null,
            tenant.Metadata.DeletionTimestamp is not null,

            // A status older than the spec is being converged: compared only once the reconciler caught up.
            status.ObservedGeneration == tenant.Metadata.Generation,
            status.TenantId,
            status.Phase,
            status.Database?.Name,
            status.Database?.Host,
            status.Database?.Port,
            status.SchemaVersion);
    }
}

/// <summary>
/// The generated secrets. <see cref="Listed"/>: the backend can list them (Kubernetes: the operator's labelled Secrets in
/// the generated-secret namespace), so orphans are found. Otherwise only the rows' own generated references are read one
/// by one (<see cref="Missing"/>), and a generated secret without a row cannot be found (<see cref="Note"/> says so).
/// </summary>
/// <param name="Listed">The generated secrets were listed; <see cref="Existing"/> is complete.</param>
/// <param name="Existing">References of the generated secrets that exist (listed, or read and found).</param>
/// <param name="Missing">Generated references of rows that were read and are absent.</param>
/// <param name="IsGenerated">Whether a reference is one the operator generates (its secret planner's shape).</param>
/// <param name="GeneratedFor">The reference the operator generates for a slug.</param>
/// <param name="Note">What could not be checked, for the report; null when everything was.</param>
public sealed record ObservedSecrets(
    bool Listed,
    IReadOnlyList<SecretReference> Existing,
    IReadOnlyList<SecretReference> Missing,
    Func<SecretReference, bool> IsGenerated,
    Func<string, SecretReference> GeneratedFor,
    string? Note = null);
