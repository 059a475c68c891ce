using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The Tenant controller alone, assembled from the runtime: informer (every replica) → work queue → the given
/// reconciler (leader only), and the leader's periodic jobs. <see cref="TenantOperator"/> composes the real operator
/// from it; tests and benchmarks that drive the runtime with a reconciler of their own build it directly, and get no
/// SchemaRollout or TenantDatabaseServer controller, by construction rather than by a switch.
/// </summary>
public sealed class TenantRuntime
{
    public TenantRuntime(
        IKubernetes kubernetes,
        OperatorOptions options,
        TimeProvider time,
        OperatorMetrics metrics,
        ILoggerFactory loggers,
        Func<IReconciler<Tenant>> reconciler,
        IReadOnlyList<PeriodicJob>? leaderJobs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(reconciler);
        Tenants = new KubernetesResourceClient<Tenant>(kubernetes, TenantOperator.Resource);
        Informer = new Informer<Tenant>(
            Tenants,
            options.Namespaces,
            OperatorInformers.Settings(options),
            time,
            metrics.Runtime,
            loggers.CreateLogger<Informer<Tenant>>());
        var identity = options.LeaderElection.ReplicaIdentity;
        Events = new EventRecorder(new KubernetesEventClient(kubernetes), "controlplane-operator", identity, time, loggers.CreateLogger<EventRecorder>());
        Controller = new Controller<Tenant>(
            Informer,
            reconciler,
            options.MaxConcurrentReconciles,
            new Backoff(options.RetryInitialDelay, options.RetryMaxDelay),
            time,
            metrics.Runtime,
            loggers.CreateLogger<Controller<Tenant>>());
        var lease = options.LeaderElection;
        Leadership = new LeaderElection(
            kubernetes,
            new LeaderElectionSettings(lease.Enabled, lease.LeaseNamespace ?? "", lease.LeaseName, identity, lease.LeaseDuration, lease.RenewDeadline, lease.RetryPeriod),
            time,
            metrics.Runtime,
            loggers.CreateLogger<LeaderElection>());
        LeaderJobs = leaderJobs ?? [];
        metrics.ObservePhases(() => PhaseCounts(Informer.Cache.Items));
        metrics.ObserveSchemaVersions(() => SchemaVersionCounts(Informer.Cache.Items), () => Misaligned(Informer.Cache.Items));
    }

    public IResourceClient<Tenant> Tenants { get; }

    public Informer<Tenant> Informer { get; }

    public Controller<Tenant> Controller { get; }

    public LeaderElection Leadership { get; }

    public EventRecorder Events { get; }

    /// <summary>Periodic work of the leader beside the reconcile workers (catalog health…), started and stopped with each term.</summary>
    public IReadOnlyList<PeriodicJob> LeaderJobs { get; }

    /// <summary>Runs the informer and, while leader, the reconcile workers and the leader's jobs, until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            Informer.RunAsync(cancellationToken),
            Leadership.RunAsync(leading => RunLeaderWorkAsync(leading, () => Controller.RunWorkersAsync(leading, () => Leadership.IsLeader)), cancellationToken));

    /// <summary>One term of the leader: its jobs, then <paramref name="workers"/> (the workers of every controller it leads).</summary>
    internal Task RunLeaderWorkAsync(CancellationToken leading, params IEnumerable<Func<Task>> workers) =>
        Task.WhenAll(LeaderJobs.Select(job => job.RunAsync(leading)).Concat(workers.Select(start => start())));

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

    /// <summary>Tenants per reported schema version ("none" before the first migration): the fleet's version distribution.</summary>
    public static IEnumerable<KeyValuePair<string, int>> SchemaVersionCounts(IEnumerable<Tenant> tenants) =>
        tenants.GroupBy(t => t.Status.SchemaVersion ?? "none", StringComparer.Ordinal)
            .Select(g => KeyValuePair.Create(g.Key, g.Count()))
            .OrderBy(p => p.Key, StringComparer.Ordinal);

    /// <summary>Tenants whose spec asks for a schema version their status does not report.</summary>
    public static int Misaligned(IEnumerable<Tenant> tenants) =>
        tenants.Count(t => t.Spec.SchemaVersion is { } asked && t.Status.SchemaVersion != asked);
}
