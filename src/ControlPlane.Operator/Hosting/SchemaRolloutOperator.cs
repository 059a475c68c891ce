using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers.Rollouts;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The SchemaRollout controller assembled from the runtime, beside the Tenant controller it drives: its own informer
/// and work queue, the Tenant informer's cache for the fleet, and every Tenant change re-queueing the rollouts of that
/// namespace. Its workers run under the Tenant controller's leadership (<see cref="TenantOperator.RunAsync"/>).
/// </summary>
public sealed class SchemaRolloutOperator
{
    public static readonly ResourceDescriptor Resource = new(Tenant.ApiGroup, Tenant.ApiVersionName, SchemaRollout.Plural);

    public SchemaRolloutOperator(
        IKubernetes kubernetes,
        OperatorOptions options,
        Informer<Tenant> tenantInformer,
        IResourceClient<Tenant> tenants,
        TenantSchemaMigrator migrator,
        EventRecorder events,
        TimeProvider time,
        OperatorMetrics metrics,
        ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tenantInformer);
        ArgumentNullException.ThrowIfNull(loggers);
        ArgumentNullException.ThrowIfNull(metrics);
        Rollouts = new KubernetesResourceClient<SchemaRollout>(kubernetes, Resource);
        Informer = new Informer<SchemaRollout>(
            Rollouts,
            options.Namespaces,
            OperatorInformers.Settings(options),
            time,
            metrics.Runtime,
            loggers.CreateLogger<Informer<SchemaRollout>>());

        // Rollouts do little work each (plan, a few writes); the Tenant reconcilers do the migrations.
        Controller = new Controller<SchemaRollout>(
            Informer,
            () => new SchemaRolloutReconciler(
                Rollouts, Informer.Cache, tenants, tenantInformer.Cache, migrator, events, time, loggers.CreateLogger<SchemaRolloutReconciler>()),
            Math.Max(1, options.MaxConcurrentReconciles / 2),
            new Backoff(options.RetryInitialDelay, options.RetryMaxDelay),
            time,
            metrics.Runtime,
            loggers.CreateLogger<Controller<SchemaRollout>>());
        metrics.ObserveRolloutPhases(() => Enum.GetValues<SchemaRolloutPhase>().Select(p => p.ToWire()).Append("Unset")
            .Select(phase => KeyValuePair.Create(phase, Informer.Cache.Items.Count(r => (r.Status.Phase ?? "Unset") == phase))));
        tenantInformer.Changed += key =>
        {
            foreach (var rollout in Informer.Cache.Items.Where(r => r.Metadata.NamespaceProperty == key.Namespace && !SchemaRolloutReconciler.IsFinished(r)))
            {
                Controller.Queue.Add(ResourceKey.Of(rollout));
            }
        };
    }

    public IResourceClient<SchemaRollout> Rollouts { get; }

    public Informer<SchemaRollout> Informer { get; }

    public Controller<SchemaRollout> Controller { get; }
}
