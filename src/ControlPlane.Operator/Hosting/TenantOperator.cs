using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The operator as it runs: the Tenant controller (<see cref="TenantRuntime"/>) with the production reconciler over
/// the tenant lifecycle, and beside it the SchemaRollout and TenantDatabaseServer controllers and the admin password
/// rotation, all under the Tenant controller's leadership.
/// </summary>
public sealed class TenantOperator
{
    public static readonly ResourceDescriptor Resource = new(Tenant.ApiGroup, Tenant.ApiVersionName, Tenant.Plural);

    /// <summary>The leader's catalog snapshot (issue 18), dropped when a term ends; null when the reconciler reads rows one by one.</summary>
    private readonly TenantCatalogSnapshot? _snapshot;

    public TenantOperator(
        IKubernetes kubernetes,
        OperatorOptions options,
        TimeProvider time,
        OperatorMetrics metrics,
        ILoggerFactory loggers,
        TenantLifecycle lifecycle,
        IReadOnlyList<PeriodicJob>? leaderJobs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(lifecycle);
        _snapshot = lifecycle.Snapshot;

        metrics.ObserveServerOperations(() => lifecycle.Servers.All
            .Select(s => new ServerOperations(s.Name, s.Operations.InFlight, s.Operations.Waiting, s.Operations.Limit)));
        var adminPasswords = new AdminPasswordSchedule(
            lifecycle.Servers,
            new AdminPasswordRotator(lifecycle.Secrets, lifecycle.Faults, time, loggers.CreateLogger<AdminPasswordRotator>(), metrics),
            loggers.CreateLogger<AdminPasswordSchedule>());
        Runtime = new TenantRuntime(
            kubernetes, options, time, metrics, loggers,
            () => new TenantReconciler(Tenants, Events, lifecycle, time, loggers.CreateLogger<TenantReconciler>(), new TenantResync(options.ResyncPeriod), Wake),
            [.. leaderJobs ?? [], adminPasswords.Job(time, metrics, loggers.CreateLogger<PeriodicJob>())]);
        // Rollouts drive the fleet through the Tenant reconciler, so they need the real lifecycle's migrations; their
        // migrations therefore take the same per-server operation slots.
        Rollouts = new SchemaRolloutOperator(kubernetes, options, Informer, Tenants, lifecycle.Migrator, Events, time, metrics, loggers);
        DatabaseServers = new TenantDatabaseServerOperator(kubernetes, options, lifecycle, RequeuePending, time, metrics, loggers);
    }

    /// <summary>The Tenant controller: its informer, queue, reconcile workers, leadership and leader jobs.</summary>
    public TenantRuntime Runtime { get; }

    public IResourceClient<Tenant> Tenants => Runtime.Tenants;

    public Informer<Tenant> Informer => Runtime.Informer;

    public Controller<Tenant> Controller => Runtime.Controller;

    public LeaderElection Leadership => Runtime.Leadership;

    public EventRecorder Events => Runtime.Events;

    /// <summary>The SchemaRollout controller.</summary>
    public SchemaRolloutOperator Rollouts { get; }

    /// <summary>The TenantDatabaseServer controller.</summary>
    public TenantDatabaseServerOperator DatabaseServers { get; }

    /// <summary>Runs the informers and, while leader, the reconcile workers of every controller and the leader's jobs, until cancelled.</summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.WhenAll(
            Informer.RunAsync(cancellationToken),
            Rollouts.Informer.RunAsync(cancellationToken),
            DatabaseServers.Informer.RunAsync(cancellationToken),
            Leadership.RunAsync(
                leading => Runtime.RunLeaderWorkAsync(
                    leading,
                    () => RunTenantWorkersAsync(leading),
                    () => RunRolloutWorkersAsync(leading),
                    () => DatabaseServers.Controller.RunWorkersAsync(leading, () => Leadership.IsLeader)),
                cancellationToken));

    /// <summary>A Tenant in a server's line is woken here when a slot frees for it (ServerOperationSlots).</summary>
    private void Wake(ResourceKey key) => Controller.Queue.Add(key);

    /// <summary>
    /// Null while the runtime makes progress; else why it does not (for <c>/healthz</c>, so the kubelet restarts a
    /// replica whose informers are frozen or whose workers died, instead of it staying green and doing nothing).
    /// </summary>
    public string? Unhealthy(TimeSpan staleAfter)
    {
        if (!Informer.IsHealthy(staleAfter) || !Rollouts.Informer.IsHealthy(staleAfter) || !DatabaseServers.Informer.IsHealthy(staleAfter))
        {
            return $"an informer has neither listed nor watched successfully for {staleAfter}";
        }

        return Controller.DeadWorkers + Rollouts.Controller.DeadWorkers + DatabaseServers.Controller.DeadWorkers > 0 ? "a reconcile worker died" : null;
    }

    /// <summary>The Tenant workers, once the servers listed at start are registered (ADR-CP-010).</summary>
    private async Task RunTenantWorkersAsync(CancellationToken leading)
    {
        _snapshot?.Prefetch();
        try
        {
            await DatabaseServers.RegisterListedAsync(leading);
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            return;
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
    private async Task RunRolloutWorkersAsync(CancellationToken leading)
    {
        try
        {
            await Task.WhenAll(Informer.WaitForSyncAsync(leading), Rollouts.Informer.WaitForSyncAsync(leading));
        }
        catch (OperationCanceledException) when (leading.IsCancellationRequested)
        {
            return;
        }

        await Rollouts.Controller.RunWorkersAsync(leading, () => Leadership.IsLeader);
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
}
