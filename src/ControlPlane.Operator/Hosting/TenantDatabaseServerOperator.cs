using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Controllers.Servers;
using ControlPlane.Runtime;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The TenantDatabaseServer controller (cluster-scoped kind) beside the Tenant controller: its own informer over the
/// whole cluster and one worker (servers are few and a probe is short). Its workers run under the Tenant controller's
/// leadership (<see cref="TenantOperator.RunAsync"/>); a server turning ready re-queues the Tenants pending for want of one.
/// </summary>
public sealed class TenantDatabaseServerOperator
{
    private readonly Action<TenantDatabaseServerResource> _register;

    public static readonly ResourceDescriptor Resource = new(Tenant.ApiGroup, Tenant.ApiVersionName, TenantDatabaseServerResource.Plural);

    public TenantDatabaseServerOperator(
        IKubernetes kubernetes,
        OperatorOptions options,
        TenantLifecycle lifecycle,
        Action<bool> serverReady,
        TimeProvider time,
        OperatorMetrics metrics,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        Servers = new KubernetesResourceClient<TenantDatabaseServerResource>(kubernetes, Resource);
        _register = server => TenantDatabaseServerReconciler.RegisterListed(server, lifecycle.Servers, options.OperatorNamespace);

        // Cluster-scoped: listed and watched across the cluster whatever namespaces the Tenants are watched in.
        Informer = new Informer<TenantDatabaseServerResource>(
            Servers,
            [],
            OperatorInformers.Settings(options),
            time,
            metrics.Runtime,
            loggers.CreateLogger<Informer<TenantDatabaseServerResource>>());
        Controller = new Controller<TenantDatabaseServerResource>(
            Informer,
            () => new TenantDatabaseServerReconciler(
                Servers, lifecycle, options.OperatorNamespace, serverReady, time, loggers.CreateLogger<TenantDatabaseServerReconciler>()),
            1,
            new Backoff(options.RetryInitialDelay, options.RetryMaxDelay),
            time,
            metrics.Runtime,
            loggers.CreateLogger<Controller<TenantDatabaseServerResource>>());
    }

    public IResourceClient<TenantDatabaseServerResource> Servers { get; }

    /// <summary>How long the Tenant workers wait for the first list of servers (a missing CRD must not stall them).</summary>
    public static readonly TimeSpan ListWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Before the Tenant workers start: waits (at most <see cref="ListWait"/>) for the first list of servers and
    /// registers every valid one (not yet probed, so not ready for placement). Without it, a Tenant reconciled in the
    /// first seconds after a restart would find its server unknown and be refused although the server exists. Past the
    /// wait (the CRD not installed, the API failing) the workers start anyway: a server registered later re-queues the
    /// Tenants refused meanwhile.
    /// </summary>
    public async Task RegisterListedAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Informer.WaitForSyncAsync(cancellationToken).WaitAsync(ListWait, cancellationToken);
        }
        catch (TimeoutException)
        {
            return;
        }

        foreach (var server in Informer.Cache.Items)
        {
            _register(server);
        }
    }

    public Informer<TenantDatabaseServerResource> Informer { get; }

    public Controller<TenantDatabaseServerResource> Controller { get; }
}
