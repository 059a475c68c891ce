using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Provisioning;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The operator's settings: configuration section <c>Operator</c> (appsettings or environment variables such as
/// <c>Operator__MaxConcurrentReconciles=8</c>), plus <c>WATCH_NAMESPACES</c>, <c>POD_NAMESPACE</c> and <c>POD_NAME</c>
/// from the Deployment. <see cref="OperatorOptionsLoader"/> validates them at start.
/// </summary>
public sealed class OperatorOptions
{
    public const string SectionName = "Operator";

    /// <summary>Path of a kubeconfig file; unset means KUBECONFIG, ~/.kube/config, then in-cluster.</summary>
    public string? Kubeconfig { get; set; }

    /// <summary>kubeconfig context; unset means the current one.</summary>
    public string? KubeContext { get; set; }

    /// <summary>Namespaces to watch; empty means all (needs the ClusterRole binding, which config/rbac gives).</summary>
    public List<string> Namespaces { get; set; } = [];

    /// <summary>
    /// The operator's own namespace (<c>POD_NAMESPACE</c>). With <see cref="Namespaces"/> empty it is the one namespace whose
    /// Tenants are not served, and tenant database servers' admin secrets belong there (docs/secrets.md).
    /// </summary>
    public string? OperatorNamespace { get; set; }

    public int MaxConcurrentReconciles { get; set; } = 4;

    /// <summary>Server-side watch timeout: streams end cleanly after this and are re-opened from the last resourceVersion.</summary>
    public TimeSpan WatchTimeout { get; set; } = TimeSpan.FromMinutes(5);

    public int ListPageSize { get; set; } = 500;

    /// <summary>How long watches may keep failing (other than 410, which relists at once) before the informer relists.</summary>
    public TimeSpan WatchFailureRelistAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary><c>/healthz</c> fails when an informer has had no open watch and no successful list or watch for this long.</summary>
    public TimeSpan InformerStaleAfter { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>First retry delay of a failing key (doubles per failure).</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of a failing key's retry delay.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How many consecutive failures of a Tenant a retry may absorb before Ready=False names it and the catalog records an
    /// <c>error</c> event (once per distinct problem). Failures a human must resolve (conflicts, a missing secret) show at once.
    /// </summary>
    public int FailureThreshold { get; set; } = Controllers.TenantFailureTracker.DefaultThreshold;

    /// <summary>
    /// How often each healthy Tenant is reconciled again although nothing changed, to find and repair drift (a database
    /// or role dropped by hand, a changed connection limit, a re-created database behind its schema). Jittered by
    /// ±10 % per tenant (<see cref="Controllers.TenantResync"/>). Also <c>TENANT_RESYNC_PERIOD_SECONDS</c>.
    /// </summary>
    public TimeSpan ResyncPeriod { get; set; } = Controllers.TenantResync.DefaultPeriod;

    /// <summary>
    /// How often the leader evaluates the catalog's health checks (specification §9) for <c>/metrics</c>
    /// (<c>controlplane_catalog_health_*</c>, docs/operator-runtime.md); between 10 seconds and 1 hour.
    /// </summary>
    public TimeSpan CatalogHealthPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long a tenant may stay provisioning before the <c>stuck_provisioning</c> check names it (the <c>health</c> command's <c>--stuck-after</c>).</summary>
    public TimeSpan CatalogHealthStuckAfter { get; set; } = Store.Health.CatalogHealth.DefaultStuckAfter;

    /// <summary>
    /// How often the leader audits the estate (catalog, tenant servers, Tenants, generated secrets; docs/audit.md) and
    /// reports what it finds in metrics, logs and catalog events, changing nothing. Zero turns the periodic audit off
    /// (the <c>audit</c> command still works). <c>Operator__AuditPeriod</c>, e.g. <c>01:00:00</c>.
    /// </summary>
    public TimeSpan AuditPeriod { get; set; } = TimeSpan.FromHours(1);

    public LeaderElectionOptions LeaderElection { get; set; } = new();

    /// <summary>The monthly partitions of the catalog's tenant_events: created ahead and retention (docs/catalog.md).</summary>
    public EventPartitionOptions Events { get; set; } = new();

    /// <summary>
    /// Folder of the tenant schema migrations (<c>V&lt;version&gt;__&lt;name&gt;.sql</c>); unset means <c>sql/tenant</c> beside the
    /// executable, which the image carries. Mount a ConfigMap or volume and point here to ship other versions.
    /// </summary>
    public string? TenantMigrationsPath { get; set; }

    /// <summary>
    /// The bootstrap tenant database servers by name (a Tenant's <c>spec.database.server</c>), fixed for the process;
    /// TenantDatabaseServer resources add servers at runtime (ADR-CP-010). A resource never replaces a server named here.
    /// </summary>
    public Dictionary<string, TenantDatabaseServerOptions> TenantDatabaseServers { get; set; } = [];

    /// <summary>The tenant database servers' admin secrets (the parsable ones): never a Tenant's secretRef, whatever grants them.</summary>
    public IEnumerable<SecretReference> AdminSecretReferences() =>
        TenantDatabaseServers.Values
            .Select(s => SecretReference.TryParse(s.AdminSecretRef, out var reference, out _) ? reference : null)
            .OfType<SecretReference>();
}

/// <summary>
/// What the leader does to the catalog's tenant_events partitions every <see cref="MaintenancePeriod"/>: creates the
/// months up to <see cref="MonthsAhead"/> ahead and, when <see cref="RetentionMonths"/> is set, retires older months.
/// </summary>
public sealed class EventPartitionOptions
{
    /// <summary>Months kept ready after the current one (<c>TENANT_EVENTS_PARTITIONS_AHEAD</c>; 1 to 24).</summary>
    public int MonthsAhead { get; set; } = Store.Events.EventPartitions.DefaultMonthsAhead;

    /// <summary>Events are kept this many months, then their month is detached (<c>TENANT_EVENTS_RETENTION_MONTHS</c>); null keeps them forever.</summary>
    public int? RetentionMonths { get; set; }

    /// <summary>How long a detached month stays on disk before it is dropped (<c>TENANT_EVENTS_RETENTION_GRACE_DAYS</c>).</summary>
    public TimeSpan RetentionGrace { get; set; } = Store.Events.EventRetention.DefaultGrace;

    public TimeSpan MaintenancePeriod { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The retention to apply, or null when events are kept forever.</summary>
    public Store.Events.EventRetention? Retention => RetentionMonths is { } months ? new(months, RetentionGrace) : null;
}

/// <summary>The Lease that elects the one replica that reconciles.</summary>
public sealed class LeaderElectionOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>Namespace of the Lease; defaults to <c>POD_NAMESPACE</c>.</summary>
    public string? LeaseNamespace { get; set; }

    public string LeaseName { get; set; } = "controlplane-operator";

    /// <summary>This replica's identity as configured (or <c>POD_NAME</c>); read it through <see cref="ReplicaIdentity"/>.</summary>
    public string? Identity { get; set; }

    /// <summary>
    /// This replica's identity as the Lease, events and catalog actors name it: <see cref="Identity"/>, else the host name.
    /// The one place of that default (issue 19: it was written out in three).
    /// </summary>
    public string ReplicaIdentity => Identity ?? Environment.MachineName;

    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(15);

    public TimeSpan RenewDeadline { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan RetryPeriod { get; set; } = TimeSpan.FromSeconds(2);
}
