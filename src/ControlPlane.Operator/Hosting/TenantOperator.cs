using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Runtime;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The Tenant controller assembled from the runtime: informer (every replica) → work queue → reconciler (leader only).
/// Tests and the benchmark build it directly with their own client, options and reconciler.
/// </summary>
public sealed class TenantOperator
{
    public static readonly ResourceDescriptor Resource = new(Tenant.ApiGroup, Tenant.ApiVersionName, Tenant.Plural);

    public TenantOperator(
        IKubernetes kubernetes,
        OperatorOptions options,
        TimeProvider time,
        OperatorMetrics metrics,
        ILoggerFactory loggers,
        Func<IReconciler<Tenant>>? reconciler = null,
        TenantLifecycle? lifecycle = null)
    {
        if (reconciler is null && lifecycle is null)
        {
            throw new ArgumentException("The Tenant reconciler needs the tenant lifecycle (catalog, secrets, servers, migrations).", nameof(lifecycle));
        }

        Tenants = new KubernetesResourceClient<Tenant>(kubernetes, Resource);
        Informer = new Informer<Tenant>(
            Tenants,
            options.Namespaces,
            new InformerSettings(options.WatchTimeout, new Backoff(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(30)), options.ListPageSize),
            time,
            metrics,
            loggers.CreateLogger<Informer<Tenant>>());
        var identity = options.LeaderElection.Identity ?? Environment.MachineName;
        Events = new EventRecorder(new KubernetesEventClient(kubernetes), "controlplane-operator", identity, time, loggers.CreateLogger<EventRecorder>());
        Controller = new Controller<Tenant>(
            Informer,
            reconciler ?? (() => new TenantReconciler(Tenants, Events, lifecycle!, time, loggers.CreateLogger<TenantReconciler>())),
            options.MaxConcurrentReconciles,
            new Backoff(options.RetryInitialDelay, options.RetryMaxDelay),
            time,
            metrics,
            loggers.CreateLogger<Controller<Tenant>>());
        var lease = options.LeaderElection;
        Leadership = new LeaderElection(
            kubernetes,
            new LeaderElectionSettings(lease.Enabled, lease.LeaseNamespace ?? "", lease.LeaseName, identity, lease.LeaseDuration, lease.RenewDeadline, lease.RetryPeriod),
            metrics,
            loggers.CreateLogger<LeaderElection>());
        metrics.ObservePhases(() => PhaseCounts(Informer.Cache.Items));
    }

    public IResourceClient<Tenant> Tenants { get; }

    public Informer<Tenant> Informer { get; }

    public Controller<Tenant> Controller { get; }

    public LeaderElection Leadership { get; }

    public EventRecorder Events { get; }

    /// <summary>Runs the informer and, while leader, the reconcile workers, until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(Informer.RunAsync(cancellationToken), Leadership.RunAsync(Controller.RunWorkersAsync, cancellationToken));

    /// <summary>Tenants per phase, every phase present (0 when none) so dashboards see a stable series; "Unset" before the first status.</summary>
    public static IEnumerable<KeyValuePair<string, int>> PhaseCounts(IEnumerable<Tenant> tenants)
    {
        var counts = TenantPhases.All.Append("Unset").ToDictionary(p => p, _ => 0);
        foreach (var tenant in tenants)
        {
            var phase = tenant.Status.Phase ?? "Unset";
            counts[phase] = counts.GetValueOrDefault(phase) + 1;
        }

        return counts;
    }
}
