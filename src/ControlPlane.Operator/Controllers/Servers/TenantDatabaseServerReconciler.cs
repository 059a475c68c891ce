using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Controllers.Servers;

/// <summary>
/// Reconciles one TenantDatabaseServer, level-based: fetch (the runtime) → deletion (refused while tenants live on it)
/// → validate → name check (a bootstrap server keeps its name) → finalizer → register in the live registry → probe
/// (login, version, admin privileges) → describe to placement → status. Probed again every <see cref="ProbeEvery"/>,
/// so readiness follows the server without a spec change.
/// </summary>
public sealed class TenantDatabaseServerReconciler(
    IResourceClient<TenantDatabaseServerResource> servers,
    TenantLifecycle lifecycle,
    string? operatorNamespace,
    Action<bool> serverReady,
    TimeProvider time,
    ILogger<TenantDatabaseServerReconciler> logger) : IReconciler<TenantDatabaseServerResource>
{
    /// <summary>How often a server is probed again (and its tenant count refreshed) although nothing changed.</summary>
    public static readonly TimeSpan ProbeEvery = TimeSpan.FromMinutes(1);

    /// <summary>How often a deletion waiting for tenants to leave looks again.</summary>
    public static readonly TimeSpan DeletionRecheck = TimeSpan.FromSeconds(30);

    private readonly Finalizers<TenantDatabaseServerResource> _finalizers = new(servers, TenantDatabaseServerResource.Finalizer);
    private readonly StatusWriter<TenantDatabaseServerResource, TenantDatabaseServerStatus> _status = new(servers);

    private TenantDatabaseServers Registry => lifecycle.Servers;

    public async Task<ReconcileResult> ReconcileAsync(TenantDatabaseServerResource server, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(server);
        var name = server.Metadata.Name;
        if (Finalizers<TenantDatabaseServerResource>.IsDeleting(server))
        {
            return await DeleteAsync(server, cancellationToken);
        }

        var problems = new List<string>();
        var options = TenantDatabaseServerRules.Options(server, operatorNamespace, Registry.Environment, problems);
        if (options is null)
        {
            // A server already registered keeps serving the tenants on it, but takes no new ones until the spec is fixed.
            Registry.Describe(name, TenantDatabaseServerRules.Profile(server, ready: false, deleting: false));
            return await NotReadyAsync(server, ServerProbe.None, TenantDatabaseServerReadyReason.InvalidSpec, string.Join(" ", problems), terminal: true, cancellationToken);
        }

        if (Registry.IsBootstrap(name))
        {
            return await NotReadyAsync(server, ServerProbe.None, TenantDatabaseServerReadyReason.NameTakenByConfiguration,
                $"The operator's configuration defines a bootstrap server '{name}', which keeps the name; this resource is not used. Rename it, or remove the bootstrap entry and restart the operator.",
                terminal: true, cancellationToken);
        }

        // Before the server can take a tenant, so a deletion can never skip the check for live tenants.
        var held = await _finalizers.EnsureAsync(server, cancellationToken);
        if (held is null)
        {
            return ReconcileResult.Success();
        }

        var added = !Registry.Contains(name);
        if (added)
        {
            Log.ServerRegistered(logger, name, options.Host, options.Port);
        }

        Registry.Register(name, options);
        var (probe, reason, message) = await ProbeAsync(Registry.Get(name), cancellationToken);
        var ready = reason == TenantDatabaseServerReadyReason.Verified;
        Registry.Describe(name, TenantDatabaseServerRules.Profile(held, ready, deleting: false));
        var tenants = await TenantsOnAsync(name, options.Host, options.Port, cancellationToken);
        await _status.UpdateAsync(held, s => TenantDatabaseServerRules.Status(s, probe, tenants, reason, message, time.GetUtcNow()), cancellationToken);
        if (ready)
        {
            // Tenants left pending for want of a server look again now, not at their next periodic recheck; on a server's
            // first registration also those refused for naming a server the operator did not know yet.
            serverReady(added);
        }
        else
        {
            Log.ServerNotReady(logger, name, reason.ToWire(), message);
        }

        return ReconcileResult.RequeueAfter(ProbeEvery);
    }

    /// <summary>
    /// Registers a listed server without probing it (start-up, before Tenant workers run): a valid spec whose name no
    /// bootstrap server holds. Readiness for placement waits for the reconciler's probe.
    /// </summary>
    public static void RegisterListed(TenantDatabaseServerResource server, TenantDatabaseServers registry, string? operatorNamespace)
    {
        ArgumentNullException.ThrowIfNull(server);
        ArgumentNullException.ThrowIfNull(registry);
        var options = TenantDatabaseServerRules.Options(server, operatorNamespace, registry.Environment, []);
        if (options is not null && !registry.IsBootstrap(server.Metadata.Name))
        {
            registry.Register(server.Metadata.Name, options);
        }
    }

    /// <summary>Refused while the catalog records live tenants on the server (or placements on it are pending).</summary>
    private async Task<ReconcileResult> DeleteAsync(TenantDatabaseServerResource server, CancellationToken cancellationToken)
    {
        var name = server.Metadata.Name;
        if (!_finalizers.IsPresent(server))
        {
            return ReconcileResult.Success();
        }

        // From the first look at the deletion on, no new tenant is placed here.
        Registry.Describe(name, TenantDatabaseServerRules.Profile(server, ready: false, deleting: true));
        var tenants = await TenantsOnAsync(name, server.Spec.Host, server.Spec.Port ?? 5432, cancellationToken) + lifecycle.Placements.PendingOn(name);
        if (tenants > 0)
        {
            Log.ServerDeletionBlocked(logger, name, tenants);
            await _status.UpdateAsync(server, s => TenantDatabaseServerRules.Status(s, new ServerProbe(s.Status.Reachable, s.Status.AdminPrivilegesVerified, null), tenants,
                TenantDatabaseServerReadyReason.DeletionBlocked,
                $"{tenants} live tenants are placed on this server; it is removed once they are deleted (or moved off by hand and their Tenants deleted). It takes no new tenants meanwhile.",
                time.GetUtcNow()), cancellationToken);
            return ReconcileResult.RequeueAfter(DeletionRecheck);
        }

        Registry.Unregister(name);
        Log.ServerRemoved(logger, name);
        await _finalizers.RemoveAsync(server, cancellationToken);
        return ReconcileResult.Success();
    }

    /// <summary>Login (TLS as configured), version, and the admin role's CREATEDB and CREATEROLE.</summary>
    private static async Task<(ServerProbe Probe, TenantDatabaseServerReadyReason Reason, string Message)> ProbeAsync(TenantDatabaseServer server, CancellationToken cancellationToken)
    {
        string version;
        AdminRoleFacts facts;
        try
        {
            version = await server.Administrator.ServerVersionAsync(cancellationToken);
            facts = await server.Administrator.AdminFactsAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Named and redacted as a Tenant's server failure would be (TLS, login, unreachable): never a secret.
            var failure = e is Npgsql.NpgsqlException npgsql
                ? TenantFailures.OfServer(server.Name, server.Host, server.Port, $"sslmode {server.Tls?.ModeName ?? "default"}", npgsql)
                : TenantFailures.Classify(e);
            return (new ServerProbe(false, null, null), TenantDatabaseServerReadyReason.Unreachable, $"{failure.Reason.ToWire()}: {failure.Message}");
        }

        if (!facts.CreateDatabase || !facts.CreateRole)
        {
            return (new ServerProbe(true, false, version), TenantDatabaseServerReadyReason.PrivilegesMissing,
                $"The admin role {server.AdminUser} lacks {(facts.CreateDatabase ? "" : "CREATEDB ")}{(facts.CreateRole ? "" : "CREATEROLE")}".TrimEnd() + ".");
        }

        return (new ServerProbe(true, true, version), TenantDatabaseServerReadyReason.Verified, $"PostgreSQL {version} at {server.Host}:{server.Port}; admin role {server.AdminUser} verified.");
    }

    private async Task<int> TenantsOnAsync(string name, string host, int port, CancellationToken cancellationToken)
    {
        var load = await lifecycle.Catalog.CountLiveByServerAsync([], cancellationToken);
        return ServerPlacement.TenantsOn(name, host, port, load);
    }

    private async Task<ReconcileResult> NotReadyAsync(
        TenantDatabaseServerResource server, ServerProbe probe, TenantDatabaseServerReadyReason reason, string message, bool terminal, CancellationToken cancellationToken)
    {
        Log.ServerNotReady(logger, server.Metadata.Name, reason.ToWire(), message);
        var tenants = server.Status.TenantsPlaced ?? 0;
        await _status.UpdateAsync(server, s => TenantDatabaseServerRules.Status(s, probe, tenants, reason, message, time.GetUtcNow()), cancellationToken);
        return terminal ? ReconcileResult.TerminalError(reason.ToWire(), message) : ReconcileResult.RequeueAfter(ProbeEvery);
    }
}
