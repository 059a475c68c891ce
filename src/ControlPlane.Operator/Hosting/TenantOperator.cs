using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The Tenant controller assembled from the runtime: informer (every replica) → work queue → reconciler (leader only).
/// Tests and the benchmark build it directly with their own client, options and reconciler.
/// </summary>
public sealed class TenantOperator
{
    private static readonly TimeSpan CacheSyncPoll = TimeSpan.FromMilliseconds(50);

    public static readonly ResourceDescriptor Resource = new(Tenant.ApiGroup, Tenant.ApiVersionName, Tenant.Plural);

    public TenantOperator(
        IKubernetes kubernetes,
        OperatorOptions options,
        TimeProvider time,
        OperatorMetrics metrics,
        ILoggerFactory loggers,
        Func<IReconciler<Tenant>>? reconciler = null,
        TenantLifecycle? lifecycle = null,
        IReadOnlyList<PeriodicJob>? leaderJobs = null)
    {
        if (reconciler is null && lifecycle is null)
        {
            throw new ArgumentException("The Tenant reconciler needs the tenant lifecycle (catalog, secrets, servers, migrations).", nameof(lifecycle));
        }

        _snapshot = lifecycle?.Snapshot;
        Tenants = new KubernetesResourceClient<Tenant>(kubernetes, Resource);
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
            reconciler ?? (() => new TenantReconciler(Tenants, Events, lifecycle!, time, loggers.CreateLogger<TenantReconciler>(), new TenantResync(options.ResyncPeriod), Wake)),
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

        // Rollouts drive the fleet through the Tenant reconciler, so they need the real lifecycle's migrations; their
        // migrations therefore take the same per-server operation slots.
        if (lifecycle is not null)
        {
            metrics.ObserveServerOperations(() => lifecycle.Servers.All
                .Select(s => new ServerOperations(s.Name, s.Operations.InFlight, s.Operations.Waiting, s.Operations.Limit)));
            Rollouts = new SchemaRolloutOperator(kubernetes, options, Informer, Tenants, lifecycle.Migrator, Events, time, metrics, loggers);
            DatabaseServers = new TenantDatabaseServerOperator(kubernetes, options, lifecycle, RequeuePending, time, metrics, loggers);
            var adminPasswords = new AdminPasswordSchedule(
                lifecycle.Servers,
                new AdminPasswordRotator(lifecycle.Secrets, lifecycle.Faults, time, loggers.CreateLogger<AdminPasswordRotator>(), metrics),
                loggers.CreateLogger<AdminPasswordSchedule>());
            LeaderJobs = [.. LeaderJobs, adminPasswords.Job(time, metrics, loggers.CreateLogger<PeriodicJob>())];
        }
    }

    /// <summary>The leader's catalog snapshot (issue 18), dropped when a term ends; null when the reconciler reads rows one by one.</summary>
    private readonly TenantCatalogSnapshot? _snapshot;

    public IResourceClient<Tenant> Tenants { get; }

    public Informer<Tenant> Informer { get; }

    public Controller<Tenant> Controller { get; }

    public LeaderElection Leadership { get; }

    public EventRecorder Events { get; }

    /// <summary>Periodic work of the leader beside the reconcile workers (catalog health…), started and stopped with each term.</summary>
    public IReadOnlyList<PeriodicJob> LeaderJobs { get; }

    /// <summary>The SchemaRollout controller; null when the Tenant reconciler is a test's own.</summary>
    public SchemaRolloutOperator? Rollouts { get; }

    /// <summary>The TenantDatabaseServer controller; null when the Tenant reconciler is a test's own.</summary>
    public TenantDatabaseServerOperator? DatabaseServers { get; }

    /// <summary>Runs the informers and, while leader, the reconcile workers of every controller and the leader's jobs, until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            Informer.RunAsync(cancellationToken),
            Rollouts?.Informer.RunAsync(cancellationToken) ?? Task.CompletedTask,
            DatabaseServers?.Informer.RunAsync(cancellationToken) ?? Task.CompletedTask,
            Leadership.RunAsync(
                leading => Task.WhenAll(
                    LeaderJobs.Select(job => job.RunAsync(leading))
                        .Append(RunTenantWorkersAsync(leading))
                        .Append(Rollouts is null ? Task.CompletedTask : RunRolloutWorkersAsync(Rollouts, leading))
                        .Append(DatabaseServers?.Controller.RunWorkersAsync(leading, () => Leadership.IsLeader) ?? Task.CompletedTask)),
                cancellationToken));

    /// <summary>A Tenant in a server's line is woken here when a slot frees for it (ServerOperationSlots).</summary>
    private void Wake(ResourceKey key) => Controller.Queue.Add(key);

    /// <summary>
    /// Null while the runtime makes progress; else why it does not (for <c>/healthz</c>, so the kubelet restarts a
    /// replica whose informers are frozen or whose workers died, instead of it staying green and doing nothing).
    /// </summary>
    public string? Unhealthy(TimeSpan staleAfter)
    {
        if (!Informer.IsHealthy(staleAfter) || Rollouts?.Informer.IsHealthy(staleAfter) == false || DatabaseServers?.Informer.IsHealthy(staleAfter) == false)
        {
            return $"an informer has neither listed nor watched successfully for {staleAfter}";
        }

        return Controller.DeadWorkers + (Rollouts?.Controller.DeadWorkers ?? 0) + (DatabaseServers?.Controller.DeadWorkers ?? 0) > 0 ? "a reconcile worker died" : null;
    }

    /// <summary>The Tenant workers, once the servers listed at start are registered (ADR-CP-010).</summary>
    private async Task RunTenantWorkersAsync(CancellationToken leading)
    {
        if (DatabaseServers is not null)
        {
            try
            {
                await DatabaseServers.RegisterListedAsync(leading);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                return;
            }
        }

        try
        {
            await Controller.RunWorkersAsync(leading, () => Leadership.IsLeader);
        }
        finally
        {
            // A follower holds no catalog rows; the next term starts from a new bulk read.
            _snapshot?.Clear();
        }
    }

    /// <summary>
    /// The rollout workers, once both caches they plan over hold their first complete list. A rollout planned over a
    /// Tenant cache still filling selects too few tenants: with none listed yet it went straight to Succeeded (seen when
    /// an operator started beside an existing rollout, issue 20). No time limit: a rollout that cannot see its fleet
    /// must not act; the leader's term ending stops the wait.
    /// </summary>
    private async Task RunRolloutWorkersAsync(SchemaRolloutOperator rollouts, CancellationToken leading)
    {
        while (!Informer.HasSynced || !rollouts.Informer.HasSynced)
        {
            try
            {
                await Task.Delay(CacheSyncPoll, leading);
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                return;
            }
        }

        await rollouts.Controller.RunWorkersAsync(leading, () => Leadership.IsLeader);
    }

    /// <summary>
    /// Re-queues the Tenants left pending because no server took them (a server just turned ready), and with
    /// <paramref name="refusedToo"/> (a server newly registered) those refused, which may have named it a moment early.
    /// </summary>
    private void RequeuePending(bool refusedToo)
    {
        foreach (var tenant in Informer.Cache.Items.Where(t => TenantReadyReasons.TryParse(Conditions.Find(t.Status.Conditions, TenantConditions.Ready)?.Reason, out var reason)
                     && (reason == TenantReadyReason.NoServerAvailable || (refusedToo && reason == TenantReadyReason.InvalidSpec))))
        {
            Controller.Queue.Add(ResourceKey.Of(tenant));
        }
    }

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
