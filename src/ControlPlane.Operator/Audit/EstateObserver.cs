using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Store.Catalog;
using k8s;
using Npgsql;

namespace ControlPlane.Operator.Audit;

/// <summary>
/// Reads the estate for one audit (<see cref="EstateObservation"/>): the catalog, every server the registry holds at
/// that moment, the Tenants (from the caller: the informer's cache in the operator, a LIST in the command) and the
/// generated secrets. Reads only; a server that cannot be read is recorded as such and the rest is still observed.
/// </summary>
public sealed class EstateObserver(
    TenantCatalog catalog,
    TenantDatabaseServers servers,
    Func<CancellationToken, Task<IReadOnlyList<Tenant>>> tenants,
    Func<string, bool> serves,
    GeneratedSecrets secrets)
{
    public async Task<EstateObservation> ObserveAsync(CancellationToken cancellationToken)
    {
        var rows = await catalog.ListAllAsync(cancellationToken);
        var observed = new List<ObservedServer>();
        foreach (var server in servers.All.OrderBy(s => s.Name, StringComparer.Ordinal))
        {
            observed.Add(await ObserveServerAsync(server, cancellationToken));
        }

        var listed = await tenants(cancellationToken);
        return new EstateObservation(
            rows,
            observed,
            [.. listed.Where(t => serves(t.Metadata.NamespaceProperty)).Select(ObservedTenant.From)],
            serves,
            await secrets.ObserveAsync(rows, cancellationToken));
    }

    private static async Task<ObservedServer> ObserveServerAsync(TenantDatabaseServer server, CancellationToken cancellationToken)
    {
        try
        {
            return new ObservedServer(server.Name, server.Host, server.Port, await server.Administrator.InventoryAsync(cancellationToken));
        }
        catch (Exception e) when (e is NpgsqlException or SecretStoreException or TimeoutException)
        {
            // The message names the address and the cause (never the admin password: it is not in the connection string).
            return new ObservedServer(server.Name, server.Host, server.Port, null, e is PostgresException p ? p.MessageText : e.Message);
        }
    }

    /// <summary>Every Tenant of every namespace (or of each watched one), through paged LISTs: the command's source.</summary>
    public static Func<CancellationToken, Task<IReadOnlyList<Tenant>>> Listing(IResourceClient<Tenant> client, IReadOnlyCollection<string> watched) =>
        async cancellationToken =>
        {
            var all = new List<Tenant>();
            foreach (var ns in watched.Count > 0 ? watched.Cast<string?>() : [null])
            {
                string? next = null;
                do
                {
                    var page = await client.ListAsync(ns, next, 500, cancellationToken);
                    all.AddRange(page.Items);
                    next = page.Continue;
                }
                while (!string.IsNullOrEmpty(next));
            }

            return all;
        };
}

/// <summary>
/// The generated secrets, as far as the backend lets the audit see them. Kubernetes: the operator's labelled Secrets in
/// the generated-secret namespace are listed (RBAC: list secrets there), so orphans are found. Other backends cannot be
/// listed through <see cref="ISecretStore"/>: each active or suspended row's generated reference is read (found or
/// absent), and a generated secret without a row cannot be found (the report says so).
/// </summary>
public sealed class GeneratedSecrets(IKubernetes? kubernetes, SecretStoreOptions options, SecretReferencePlanner planner, ISecretStore store)
{
    public async Task<ObservedSecrets> ObserveAsync(IReadOnlyList<CatalogTenant> rows, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (options.DefaultBackend == SecretBackendKind.Kubernetes && kubernetes is not null)
        {
            return new ObservedSecrets(true, await ListKubernetesAsync(kubernetes, cancellationToken), [], planner.IsGenerated, planner.ForTenantDatabase);
        }

        var existing = new List<SecretReference>();
        var missing = new List<SecretReference>();
        var unread = 0;
        foreach (var reference in rows.Where(r => r.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended)
                     .Select(r => r.DbSecretRef).Where(planner.IsGenerated))
        {
            try
            {
                // Read only to learn that it exists; the value is dropped at once and never logged or reported.
                _ = await store.ReadAsync(reference, cancellationToken);
                existing.Add(reference);
            }
            catch (SecretNotFoundException)
            {
                missing.Add(reference);
            }
            catch (SecretStoreException)
            {
                unread++;
            }
        }

        var note = $"the {options.DefaultBackend} secret backend cannot be listed through the secret store: generated secrets without a catalog row are not found"
                   + (unread > 0 ? $"; {unread} row secret(s) could not be read" : "");
        return new ObservedSecrets(false, existing, missing, planner.IsGenerated, planner.ForTenantDatabase, note);
    }

    private async Task<IReadOnlyList<SecretReference>> ListKubernetesAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var ns = options.Kubernetes.Namespace;
        var found = new List<SecretReference>();
        string? next = null;
        do
        {
            var page = await client.CoreV1.ListNamespacedSecretAsync(
                ns, continueParameter: next, labelSelector: KubernetesSecretLabels.Selector, limit: 500, cancellationToken: cancellationToken);
            found.AddRange(page.Items.Select(s => SecretReference.Kubernetes(ns, s.Metadata.Name, SecretReferencePlanner.PasswordKey)));
            next = page.Metadata?.ContinueProperty;
        }
        while (!string.IsNullOrEmpty(next));

        return found;
    }
}
