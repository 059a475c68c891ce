using System.Text.RegularExpressions;
using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// Binds <see cref="OperatorOptions"/>, fills in what the Deployment provides through the downward API, and refuses
/// to start on any invalid value, listing every problem at once.
/// </summary>
public static partial class OperatorOptionsLoader
{
    public const string WatchNamespacesVariable = "WATCH_NAMESPACES";
    public const string PodNamespaceVariable = "POD_NAMESPACE";
    public const string PodNameVariable = "POD_NAME";

    /// <summary>Seconds between drift resyncs of a healthy Tenant (<see cref="OperatorOptions.ResyncPeriod"/>; default 600).</summary>
    public const string ResyncPeriodVariable = "TENANT_RESYNC_PERIOD_SECONDS";

    /// <summary>Months of tenant_events partitions kept ready ahead (<see cref="EventPartitionOptions.MonthsAhead"/>; default 3).</summary>
    public const string EventPartitionsAheadVariable = "TENANT_EVENTS_PARTITIONS_AHEAD";

    /// <summary>Months tenant events are kept (<see cref="EventPartitionOptions.RetentionMonths"/>); unset keeps them forever.</summary>
    public const string EventRetentionMonthsVariable = "TENANT_EVENTS_RETENTION_MONTHS";

    /// <summary>Days a detached month of events stays before it is dropped (<see cref="EventPartitionOptions.RetentionGrace"/>; default 7).</summary>
    public const string EventRetentionGraceVariable = "TENANT_EVENTS_RETENTION_GRACE_DAYS";
    /// <summary>
    /// Bounds of a server's <c>MaxConcurrentOperations</c>: at least one, or nothing ever runs; at most 64, the bound of
    /// <c>MaxConcurrentReconciles</c>, since more slots than workers can never be used.
    /// </summary>
    public const int MinOperationsPerServer = 1;

    /// <inheritdoc cref="MinOperationsPerServer"/>
    public const int MaxOperationsPerServer = 64;

    public static OperatorOptions Load(IConfiguration configuration, DeploymentEnvironment environment, Func<string, string?> variable)
    {
        var options = configuration.GetSection(OperatorOptions.SectionName).Get<OperatorOptions>() ?? new OperatorOptions();
        if (variable(WatchNamespacesVariable) is { Length: > 0 } watch)
        {
            options.Namespaces = [.. watch.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        options.OperatorNamespace ??= variable(PodNamespaceVariable);
        var resyncProblem = ReadResyncPeriod(options, variable(ResyncPeriodVariable));
        var eventProblems = ReadEventPartitions(options.Events, variable);
        options.LeaderElection.LeaseNamespace ??= variable(PodNamespaceVariable);
        options.LeaderElection.Identity ??= variable(PodNameVariable) ?? options.LeaderElection.ReplicaIdentity;

        // `dotnet run` on a laptop has no pod namespace: one local replica needs no election. Staging and prod must
        // name the namespace (the Deployment sets POD_NAMESPACE), so there a missing one stays an error.
        if (environment == DeploymentEnvironment.Dev && options.LeaderElection.LeaseNamespace is null
            && configuration[$"{OperatorOptions.SectionName}:LeaderElection:Enabled"] is null)
        {
            options.LeaderElection.Enabled = false;
        }

        var problems = Validate(options, environment);
        if (resyncProblem is not null)
        {
            problems.Insert(0, resyncProblem);
        }

        problems.InsertRange(0, eventProblems);

        if (problems.Count > 0)
        {
            throw new ConfigurationException("Invalid operator configuration:" + string.Concat(problems.Select(p => $"\n  - {p}")));
        }

        if (ExposedAdminSecret(options, VaultTenantPrefix.Parse(configuration[SecretStoreConfiguration.VaultTenantPrefixVariable])) is { } exposed)
        {
            throw new ConfigurationException(exposed);
        }

        return options;
    }

    /// <summary>
    /// One line naming the first admin secret reference a Tenant author could be granted: a <c>k8s:</c> Secret in a
    /// namespace whose Tenants the operator serves, or a <c>vault:</c> path below such a namespace's
    /// <c>VAULT_TENANT_PREFIX</c>. Null when every admin secret is out of Tenants' reach (issue 12).
    /// </summary>
    public static string? ExposedAdminSecret(OperatorOptions options, VaultTenantPrefix? tenantVaultPrefix)
    {
        ArgumentNullException.ThrowIfNull(options);
        var served = new Controllers.TenantNamespaces(options.Namespaces, options.OperatorNamespace);
        foreach (var (name, server) in options.TenantDatabaseServers.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            if (!SecretReference.TryParse(server.AdminSecretRef, out var reference, out _))
            {
                continue;
            }

            var setting = $"{OperatorOptions.SectionName}:TenantDatabaseServers:{name}:AdminSecretRef";
            if (reference.Backend == SecretBackendKind.Kubernetes && served.Serves(reference.Container))
            {
                return $"{setting} points into namespace {reference.Container}, where the operator serves Tenants; " +
                       $"keep admin secrets in the operator's own namespace ({options.OperatorNamespace ?? "set " + PodNamespaceVariable}) and out of {WatchNamespacesVariable}.";
            }

            if (tenantVaultPrefix?.NamespaceOf(reference) is { } ns && served.Serves(ns))
            {
                return $"{setting} lies below {SecretStoreConfiguration.VaultTenantPrefixVariable} of namespace {ns}, where the operator serves Tenants; " +
                       "keep admin secrets outside every Tenant namespace's Vault prefix.";
            }
        }

        return null;
    }

    /// <summary>Every problem with the options, in words an operator can act on; empty when valid.</summary>
    public static List<string> Validate(OperatorOptions options, DeploymentEnvironment environment)
    {
        var problems = new List<string>();
        foreach (var ns in options.Namespaces.Where(n => !DnsLabel().IsMatch(n)))
        {
            problems.Add($"{OperatorOptions.SectionName}:Namespaces: '{ns}' is not a valid namespace name.");
        }

        if (options.MaxConcurrentReconciles is < 1 or > 64)
        {
            problems.Add($"{OperatorOptions.SectionName}:MaxConcurrentReconciles must be between 1 and 64 (got {options.MaxConcurrentReconciles}).");
        }

        if (options.WatchTimeout < TimeSpan.FromSeconds(1) || options.WatchTimeout > TimeSpan.FromHours(1))
        {
            problems.Add($"{OperatorOptions.SectionName}:WatchTimeout must be between 1 second and 1 hour (got {options.WatchTimeout}).");
        }

        if (options.WatchFailureRelistAfter <= TimeSpan.Zero || options.InformerStaleAfter <= options.WatchFailureRelistAfter)
        {
            problems.Add($"{OperatorOptions.SectionName}: timings must satisfy InformerStaleAfter > WatchFailureRelistAfter > 0 " +
                         $"(got {options.InformerStaleAfter}, {options.WatchFailureRelistAfter}).");
        }

        if (options.ListPageSize is < 1 or > 10_000)
        {
            problems.Add($"{OperatorOptions.SectionName}:ListPageSize must be between 1 and 10000 (got {options.ListPageSize}).");
        }

        if (options.RetryInitialDelay <= TimeSpan.Zero || options.RetryMaxDelay < options.RetryInitialDelay)
        {
            problems.Add($"{OperatorOptions.SectionName}:RetryInitialDelay must be positive and not above RetryMaxDelay.");
        }

        if (options.FailureThreshold is < 1 or > 100)
        {
            problems.Add($"{OperatorOptions.SectionName}:FailureThreshold must be between 1 and 100 (got {options.FailureThreshold}).");
        }

        if (options.ResyncPeriod < Controllers.TenantResync.MinimumPeriod || options.ResyncPeriod > Controllers.TenantResync.MaximumPeriod)
        {
            problems.Add($"{OperatorOptions.SectionName}:ResyncPeriod ({ResyncPeriodVariable}) must be between " +
                         $"{Controllers.TenantResync.MinimumPeriod.TotalSeconds:F0} seconds and {Controllers.TenantResync.MaximumPeriod.TotalHours:F0} hours (got {options.ResyncPeriod}).");
        }

        if (options.CatalogHealthPeriod < TimeSpan.FromSeconds(10) || options.CatalogHealthPeriod > TimeSpan.FromHours(1))
        {
            problems.Add($"{OperatorOptions.SectionName}:CatalogHealthPeriod must be between 10 seconds and 1 hour (got {options.CatalogHealthPeriod}).");
        }

        if (options.CatalogHealthStuckAfter <= TimeSpan.Zero)
        {
            problems.Add($"{OperatorOptions.SectionName}:CatalogHealthStuckAfter must be positive (got {options.CatalogHealthStuckAfter}).");
        }

        ValidateEventPartitions(options.Events, problems);

        if (options.AuditPeriod != TimeSpan.Zero && (options.AuditPeriod < TimeSpan.FromMinutes(1) || options.AuditPeriod > TimeSpan.FromDays(7)))
        {
            problems.Add($"{OperatorOptions.SectionName}:AuditPeriod must be 0 (no periodic audit) or between 1 minute and 7 days (got {options.AuditPeriod}).");
        }

        ValidateLeaderElection(options.LeaderElection, problems);
        foreach (var (name, server) in options.TenantDatabaseServers)
        {
            ValidateServer(name, server, environment, problems);
        }

        return problems;
    }

    /// <summary>The variable wins over the configuration section; null when it is unset or a whole number of seconds.</summary>
    private static string? ReadResyncPeriod(OperatorOptions options, string? seconds)
    {
        if (string.IsNullOrWhiteSpace(seconds))
        {
            return null;
        }

        if (!int.TryParse(seconds, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return $"{ResyncPeriodVariable} must be a whole number of seconds (got '{seconds}').";
        }

        options.ResyncPeriod = TimeSpan.FromSeconds(value);
        return null;
    }

    /// <summary>The variables win over the configuration section; returns what could not be read as a whole number.</summary>
    private static List<string> ReadEventPartitions(EventPartitionOptions events, Func<string, string?> variable)
    {
        var problems = new List<string>();
        if (ReadWhole(variable(EventPartitionsAheadVariable), EventPartitionsAheadVariable, problems) is { } ahead)
        {
            events.MonthsAhead = ahead;
        }

        if (ReadWhole(variable(EventRetentionMonthsVariable), EventRetentionMonthsVariable, problems) is { } months)
        {
            events.RetentionMonths = months;
        }

        if (ReadWhole(variable(EventRetentionGraceVariable), EventRetentionGraceVariable, problems) is { } days)
        {
            events.RetentionGrace = TimeSpan.FromDays(days);
        }

        return problems;
    }

    private static int? ReadWhole(string? text, string name, List<string> problems)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (!int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            problems.Add($"{name} must be a whole number (got '{text}').");
            return null;
        }

        return value;
    }

    private static void ValidateEventPartitions(EventPartitionOptions events, List<string> problems)
    {
        if (events.MonthsAhead is < 1 or > Store.Events.EventPartitions.MaxMonthsAhead)
        {
            problems.Add($"{OperatorOptions.SectionName}:Events:MonthsAhead ({EventPartitionsAheadVariable}) must be between 1 and " +
                         $"{Store.Events.EventPartitions.MaxMonthsAhead} (got {events.MonthsAhead}).");
        }

        if (events.Retention?.Problem() is { } retention)
        {
            problems.Add($"{OperatorOptions.SectionName}:Events ({EventRetentionMonthsVariable}, {EventRetentionGraceVariable}): {retention}.");
        }

        if (events.MaintenancePeriod < TimeSpan.FromMinutes(1) || events.MaintenancePeriod > TimeSpan.FromDays(1))
        {
            problems.Add($"{OperatorOptions.SectionName}:Events:MaintenancePeriod must be between 1 minute and 1 day (got {events.MaintenancePeriod}).");
        }
    }

    private static void ValidateLeaderElection(LeaderElectionOptions lease, List<string> problems)
    {
        const string Section = $"{OperatorOptions.SectionName}:LeaderElection";
        if (!lease.Enabled)
        {
            return;
        }

        if (string.IsNullOrWhiteSpace(lease.LeaseNamespace))
        {
            problems.Add($"{Section}:LeaseNamespace is required with leader election on (or set {PodNamespaceVariable} from the downward API).");
        }

        if (!DnsLabel().IsMatch(lease.LeaseName))
        {
            problems.Add($"{Section}:LeaseName '{lease.LeaseName}' is not a valid object name.");
        }

        if (string.IsNullOrWhiteSpace(lease.Identity))
        {
            problems.Add($"{Section}:Identity is required (or set {PodNameVariable}).");
        }

        // client-go's rules: the leader must give up before others may take over, and retry more often than it renews.
        if (lease.RetryPeriod <= TimeSpan.Zero || lease.RenewDeadline <= lease.RetryPeriod || lease.LeaseDuration <= lease.RenewDeadline)
        {
            problems.Add($"{Section}: timings must satisfy LeaseDuration > RenewDeadline > RetryPeriod > 0 " +
                         $"(got {lease.LeaseDuration}, {lease.RenewDeadline}, {lease.RetryPeriod}).");
        }
    }

    private static void ValidateServer(string name, TenantDatabaseServerOptions server, DeploymentEnvironment environment, List<string> problems)
    {
        var section = $"{OperatorOptions.SectionName}:TenantDatabaseServers:{name}";
        if (!DnsLabel().IsMatch(name))
        {
            problems.Add($"{section}: the server name must be a DNS label (it is what Tenants put in spec.database.server).");
        }

        if (string.IsNullOrWhiteSpace(server.Host))
        {
            problems.Add($"{section}:Host is required.");
        }

        if (server.Port is < 1 or > 65535)
        {
            problems.Add($"{section}:Port must be between 1 and 65535 (got {server.Port}).");
        }

        if (string.IsNullOrWhiteSpace(server.AdminUser))
        {
            problems.Add($"{section}:AdminUser is required.");
        }

        if (server.MaxConcurrentOperations is < MinOperationsPerServer or > MaxOperationsPerServer)
        {
            problems.Add($"{section}:MaxConcurrentOperations must be between {MinOperationsPerServer} and {MaxOperationsPerServer} (got {server.MaxConcurrentOperations}).");
        }

        if (!SecretReference.TryParse(server.AdminSecretRef, out var reference, out var error))
        {
            problems.Add($"{section}:AdminSecretRef: {error}");
        }
        else if (environment != DeploymentEnvironment.Dev && reference.Backend is SecretBackendKind.Env or SecretBackendKind.Mock)
        {
            problems.Add($"{section}:AdminSecretRef: {reference.Backend.ToString().ToLowerInvariant()}: references are for dev only; " +
                         "use k8s: or vault: in staging and prod.");
        }

        if (Provisioning.AdminPasswordRules.Problem(server.AdminPasswordRotateEvery, reference) is { } rotation)
        {
            problems.Add($"{section}:AdminPasswordRotateEvery: {rotation}");
        }

        // The default is written back, so every consumer (admin pool, migrations, the resolver's DSN) sees one mode.
        if (DatabaseTls.Read(server.SslMode, server.RootCertificate, environment, section, problems) is { } tls && string.IsNullOrWhiteSpace(server.SslMode)
            && environment != DeploymentEnvironment.Dev)
        {
            server.SslMode = tls.ModeName;
        }
    }

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex DnsLabel();
}
