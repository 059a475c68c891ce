using System.Diagnostics.Metrics;
using System.Net;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Audit;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Monitoring;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Resolver;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Events;
using ControlPlane.Store.Health;
using ControlPlane.Store.TenantDatabases;
using k8s;
using Npgsql;
using OpenTelemetry.Metrics;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// Builds the operator's web host: the Tenant controller as a background service, and on every replica
/// <c>/healthz</c> (informers in contact with the API server, no dead worker), <c>/readyz</c> (initial list synced and
/// catalog reachable) and <c>/metrics</c> on <c>port</c>, and the tenant connection resolver
/// <c>/v1/tenants/{slug}/connection</c> (docs/resolver.md) on its own TLS listener. Neither listener serves the other's paths.
/// </summary>
internal static class OperatorHost
{
    public static WebApplication Build(
        int port,
        string catalogDescription,
        NpgsqlDataSource dataSource,
        IKubernetes kubernetes,
        IKubernetes tokenReviews,
        OperatorOptions options,
        string bindAddress = "0.0.0.0",
        ResolverListenerOptions? resolverListener = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        var environment = DeploymentEnvironments.Parse(builder.Configuration[DeploymentEnvironments.VariableName]);
        var listener = resolverListener ?? ResolverConfiguration.ReadListener(builder.Configuration, environment);
        if (listener.Port != 0 && listener.Port == port)
        {
            throw new ConfigurationException($"The resolver's port ({ResolverConfiguration.PortVariable}) must differ from the probe and metrics port {port}.");
        }

        var address = IPAddress.Parse(bindAddress);
        if (listener.Tls)
        {
            builder.Services.AddSingleton(sp => new CertificateReloader(listener.CertificateFile!, listener.KeyFile!, listener.CertificateCheckInterval,
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CertificateReloader>>()));
        }

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(address, port);
            ResolverListener.Listen(kestrel, address, listener, kestrel.ApplicationServices.GetService<CertificateReloader>());
        });
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<OperatorMetrics>();
        builder.Services.AddSingleton(kubernetes);
        builder.Services.AddSecretStores(builder.Configuration);
        TenantDatabaseServers? registry = null;
        builder.Services.AddSingleton(sp => registry = new TenantDatabaseServers(options.TenantDatabaseServers, sp.GetRequiredService<ISecretStore>()) { Environment = environment });
        builder.Services.AddSingleton<CatalogSnapshotMetrics>();
        builder.Services.AddSingleton(sp => new TenantLifecycle(
            new TenantCatalog(dataSource),
            sp.GetRequiredService<ISecretStore>(),
            sp.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase,
            sp.GetRequiredService<TenantDatabaseServers>(),
            new TenantSchemaMigrator(CatalogScripts.TenantDirectory(options)),
            $"controlplane-operator/{options.LeaderElection.ReplicaIdentity}")
        {
            Confinement = TenantBoundaries.Confinement(sp, options),
            Namespaces = TenantBoundaries.Namespaces(options),
            Failures = new TenantFailureTracker(options.FailureThreshold),
            Snapshot = new TenantCatalogSnapshot(new TenantCatalog(dataSource), TenantCatalogSnapshot.MaxAgeFor(options.ResyncPeriod),
                sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<TenantCatalogSnapshot>>(), sp.GetRequiredService<CatalogSnapshotMetrics>()),
        });
        builder.Services.AddSingleton(sp => new EventPartitionMaintenance(
            new EventPartitions(dataSource), options.Events, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<EventPartitionMaintenance>>()));
        builder.Services.AddSingleton(sp => new CatalogHealthMonitor(
            dataSource, options.CatalogHealthStuckAfter, sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<CatalogHealthMonitor>>()));
        builder.Services.AddSingleton(sp =>
        {
            var time = sp.GetRequiredService<TimeProvider>();
            var metrics = sp.GetRequiredService<OperatorMetrics>();
            var loggers = sp.GetRequiredService<ILoggerFactory>();
            var health = sp.GetRequiredService<CatalogHealthMonitor>();
            TenantOperator? tenantOperator = null;
            tenantOperator = new TenantOperator(
                kubernetes, options, time, metrics, loggers, lifecycle: sp.GetRequiredService<TenantLifecycle>(),
                leaderJobs:
                [
                    new PeriodicJob("catalog-health", options.CatalogHealthPeriod, health.EvaluateAsync, time, metrics.Runtime, loggers.CreateLogger<PeriodicJob>()),
                    new PeriodicJob("event-partitions", options.Events.MaintenancePeriod, sp.GetRequiredService<EventPartitionMaintenance>().RunOnceAsync,
                        time, metrics.Runtime, loggers.CreateLogger<PeriodicJob>()),
                    .. EstateAuditJob(sp, options, () => tenantOperator!.Informer.HasSynced, time, metrics, loggers),
                ]);
            // The meter factory keeps the gauges (and through them this exporter) for the life of the host.
            _ = new CatalogHealthMetrics(sp.GetRequiredService<IMeterFactory>(), () => tenantOperator.Leadership.IsLeader ? health.Latest : null);
            return tenantOperator;
        });
        builder.Services.AddHostedService<TenantOperatorService>();
        builder.Services.AddSingleton<EstateAuditMetrics>();
        builder.Services.AddSingleton(sp => EstateAudits.ForOperator(
            sp.GetRequiredService<TenantOperator>().Informer.Cache, sp.GetRequiredService<TenantLifecycle>(), sp, kubernetes,
            sp.GetRequiredService<EstateAuditMetrics>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<EstateAuditor>()));
        builder.Services.AddSingleton(new TokenReviewClient(tokenReviews));
        builder.Services.AddSingleton<ITenantDirectory>(sp => new InformerTenantDirectory(sp.GetRequiredService<TenantOperator>().Informer));
        builder.Services.AddTenantConnectionResolver(
            builder.Configuration, new RegisteredServerTls(() => Volatile.Read(ref registry), TenantDatabaseServerTls.ByAddress(options.TenantDatabaseServers)));
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(OperatorMetrics.MeterName).AddPrometheusExporter());

        var app = builder.Build();
        app.SeparateListeners();
        app.MapGet("/healthz", (TenantOperator tenantOperator) => tenantOperator.Unhealthy(options.InformerStaleAfter) is { } problem
            ? Results.Text(problem, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ok"));
        app.MapGet("/readyz", async (TenantOperator tenantOperator, NpgsqlDataSource catalog, CancellationToken cancellationToken) =>
        {
            if (!tenantOperator.Informer.HasSynced)
            {
                return Results.Text("initial list of tenants not yet processed", statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            return await CatalogReadiness.AnswersAsync(catalog, cancellationToken)
                ? Results.Text("ready")
                : Results.Text("catalog database unreachable", statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        app.MapPrometheusScrapingEndpoint();
        app.MapTenantConnections();

        Log.Starting(app.Logger, port, listener.Port, listener.Tls ? "https" : "http", catalogDescription);
        if (!listener.Tls)
        {
            Log.ResolverWithoutTls(app.Logger, listener.Port);
        }

        return app;
    }

    /// <summary>
    /// The periodic estate audit as a leader job; none when <see cref="OperatorOptions.AuditPeriod"/> is 0. The auditor is
    /// resolved at the first run: it reads the Tenant operator's informer, which is being built here.
    /// </summary>
    private static IEnumerable<PeriodicJob> EstateAuditJob(
        IServiceProvider services, OperatorOptions options, Func<bool> synced, TimeProvider time, OperatorMetrics metrics, ILoggerFactory loggers) =>
        options.AuditPeriod == TimeSpan.Zero
            ? []
            : [new PeriodicJob("estate-audit", options.AuditPeriod, ct => services.GetRequiredService<EstateAuditor>().RunScheduledAsync(synced, ct),
                time, metrics.Runtime, loggers.CreateLogger<PeriodicJob>())];
}
