using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using ControlPlane.Operator;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Sandbox.Postgres;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Sql;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>
/// What the provisioning benchmark runs against, assembled as production assembles it (the pattern of the
/// operator's integration harness): an embedded PostgreSQL 17 serving both the catalog and the tenant databases,
/// a tenant admin role with CREATEDB and CREATEROLE only, the in-process Kubernetes API server holding the Tenants and
/// the generated secrets (Kubernetes secret backend), and the real tenant lifecycle.
/// </summary>
internal sealed class ProvisionCluster : IAsyncDisposable
{
    public const string SecretNamespace = "econt-tenants";
    private const string AdminSecretName = "tenant-server-admin";

    /// <summary>The names of the three tenant database servers of the fleet side: the first is the catalog's own.</summary>
    public static readonly string[] FleetServers = ["pg-a", "pg-b", "pg-c"];

    private readonly EmbeddedPostgresServer _postgres;
    private readonly NpgsqlDataSource _superuser;
    private readonly List<EmbeddedPostgresServer> _fleet = [];
    private readonly string _instance;

    private ProvisionCluster(EmbeddedPostgresServer postgres, string instance, KubeApiServer api, string adminRole)
    {
        _postgres = postgres;
        _superuser = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(postgres.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString);
        ServerLog = Path.Combine(instance, "server.log");
        _instance = instance;
        Api = api;
        Client = api.CreateClient();
        AdminRole = adminRole;
    }

    public KubeApiServer Api { get; }

    public Kubernetes Client { get; }

    /// <summary>The embedded server's log (pg_ctl -l), where statement logging goes.</summary>
    public string ServerLog { get; }

    public string AdminRole { get; }

    public NpgsqlDataSource Superuser => _superuser;

    public static async Task<ProvisionCluster> StartAsync(int historyLimit, CancellationToken cancellationToken)
    {
        var instance = Path.Combine(Path.GetTempPath(), "econt-bench", $"provision-{Environment.ProcessId}-{Guid.NewGuid():N}");
        var postgres = await EmbeddedPostgresServer.StartAsync(
            new EmbeddedPostgresOptions { InstanceDirectory = instance, BinDirectory = await PostgresBinaries.EnsureInstalledAsync(cancellationToken), MaxConnections = 300 },
            cancellationToken);
        var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { HistoryLimit = historyLimit }, cancellationToken);
        var adminRole = "tenant_admin";
        var cluster = new ProvisionCluster(postgres, instance, api, adminRole);
        await cluster.ExecuteAsync($"CREATE ROLE {adminRole} LOGIN CREATEDB CREATEROLE PASSWORD '{AdminPassword}'", cancellationToken);
        await cluster.CreateNamespaceAsync(SecretNamespace, cancellationToken);

        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = AdminSecretName }, StringData = new Dictionary<string, string> { ["password"] = AdminPassword } },
            SecretNamespace, cancellationToken: cancellationToken);
        return cluster;
    }

    // A throw-away server on loopback for one run; the operator reads it from a Secret like production.
    private static string AdminPassword { get; } = "Adm1n" + Guid.NewGuid().ToString("N");

    /// <summary>
    /// Starts the two other PostgreSQL 17 servers of the fleet side (<see cref="FleetServers"/>), each with the same
    /// CREATEDB CREATEROLE admin role and password (the one admin Secret serves all three).
    /// </summary>
    public async Task StartFleetAsync(CancellationToken cancellationToken)
    {
        for (var i = 1; i < FleetServers.Length; i++)
        {
            var server = await EmbeddedPostgresServer.StartAsync(
                new EmbeddedPostgresOptions
                {
                    InstanceDirectory = Path.Combine(_instance, FleetServers[i]),
                    BinDirectory = await PostgresBinaries.EnsureInstalledAsync(cancellationToken),
                    MaxConnections = 100,
                },
                cancellationToken);
            _fleet.Add(server);
            await using var superuser = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Pooling = false }.ConnectionString);
            await using var command = superuser.CreateCommand($"CREATE ROLE {AdminRole} LOGIN CREATEDB CREATEROLE PASSWORD '{AdminPassword}'");
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>A new, migrated catalog database; returns its (superuser) connection string.</summary>
    public async Task<string> CreateCatalogAsync(string name, CancellationToken cancellationToken)
    {
        await ExecuteAsync($"CREATE DATABASE {SqlIdentifier.Quote(name)}", cancellationToken);
        var connectionString = new NpgsqlConnectionStringBuilder(_postgres.ConnectionString) { Database = name }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await CatalogMigrator.MigrateAsync(dataSource, Path.Combine(AppContext.BaseDirectory, "sql", "control_plane"), _ => { }, cancellationToken);
        return connectionString;
    }

    /// <summary>Each scenario keeps its Tenants in a namespace of its own, watched by its operator alone.</summary>
    public async Task CreateNamespaceAsync(string name, CancellationToken cancellationToken) =>
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: cancellationToken);

    /// <summary>
    /// Registers the three servers of the fleet side (after <see cref="StartFleetAsync"/>) in a side's registry as the
    /// TenantDatabaseServer reconciler registers a resource once its probe verified it: registered, then described ready,
    /// not draining, no capacity limit, no labels. The bootstrap server <c>default</c> stays configured and, while
    /// resources exist, takes no new tenant (ADR-CP-010): the side's tenants are placed on these three.
    /// </summary>
    public void RegisterFleet(TenantDatabaseServers registry)
    {
        int[] ports = [_postgres.Port, .. _fleet.Select(s => s.Port)];
        for (var i = 0; i < FleetServers.Length; i++)
        {
            registry.Register(FleetServers[i], new TenantDatabaseServerOptions
            {
                Host = "127.0.0.1",
                Port = ports[i],
                AdminUser = AdminRole,
                AdminSecretRef = $"k8s:{SecretNamespace}/{AdminSecretName}#password",
            });
            registry.Describe(FleetServers[i], new ServerPlacementProfile(true, false, null, ImmutableDictionary<string, string>.Empty));
        }
    }

    public OperatorOptions Options(string tenantNamespace, int workers) => new()
    {
        Namespaces = [tenantNamespace],
        MaxConcurrentReconciles = workers,
        WatchTimeout = TimeSpan.FromMinutes(5),
        RetryInitialDelay = TimeSpan.FromMilliseconds(100),
        RetryMaxDelay = TimeSpan.FromSeconds(2),
        LeaderElection = new LeaderElectionOptions { Enabled = false, Identity = "bench" },
        TenantMigrationsPath = Path.Combine(AppContext.BaseDirectory, "sql", "tenant"),
        TenantDatabaseServers =
        {
            ["default"] = new TenantDatabaseServerOptions
            {
                Host = "127.0.0.1",
                Port = _postgres.Port,
                AdminUser = AdminRole,
                AdminSecretRef = $"k8s:{SecretNamespace}/{AdminSecretName}#password",
            },
        },
    };

    /// <summary>The tenant lifecycle against one catalog, as the operator's host builds it.</summary>
    public Lifecycle CreateLifecycle(OperatorOptions options, string catalogConnectionString)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["SECRET_MANAGER_BACKEND"] = "k8s",
            ["SECRET_KUBERNETES_NAMESPACE"] = SecretNamespace,
        }).Build();
        var services = new ServiceCollection()
            .AddLogging()
            .AddMetrics()
            .AddSingleton<IKubernetes>(KubernetesClientFactory.Create(Api.ClientConfiguration()))
            .AddSecretStores(configuration)
            .BuildServiceProvider();
        var secrets = services.GetRequiredService<ISecretStore>();
        var servers = new TenantDatabaseServers(options.TenantDatabaseServers, secrets);
        var catalog = CatalogPool.Create(catalogConnectionString);
        var lifecycle = new TenantLifecycle(
            new TenantCatalog(catalog),
            secrets,
            services.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase,
            servers,
            new ControlPlane.Store.TenantDatabases.TenantSchemaMigrator(options.TenantMigrationsPath!),
            "controlplane-operator/bench")
        {
            Confinement = TenantBoundaries.Confinement(services, options),
            Namespaces = TenantBoundaries.Namespaces(options),
        };
        return new Lifecycle(lifecycle, services, servers, catalog);
    }

    /// <summary>A Tenant as a user would apply it; the name prefix keeps scenarios apart (slug, database, role, secret).</summary>
    public static Tenant NewTenant(string tenantNamespace, string name)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = tenantNamespace } };
        tenant.Spec.DisplayName = $"Tenant {name}";
        tenant.Spec.Database = new TenantDatabaseSpec { Name = "bench_" + name.Replace('-', '_') };
        return tenant;
    }

    public async Task CreateTenantAsync(Tenant tenant, CancellationToken cancellationToken) =>
        await Client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, tenant.Metadata.NamespaceProperty, Tenant.Plural, cancellationToken: cancellationToken);

    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = _superuser.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await _superuser.DisposeAsync();
        Client.Dispose();
        await Api.DisposeAsync();
        foreach (var server in _fleet)
        {
            await server.DisposeAsync();
        }

        await _postgres.DisposeAsync();
    }
}

/// <summary>One tenant lifecycle and what it owns (secret store services, server pools, catalog pool).</summary>
internal sealed record Lifecycle(TenantLifecycle Value, ServiceProvider Services, TenantDatabaseServers Servers, NpgsqlDataSource Catalog) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Servers.DisposeAsync();
        await Catalog.DisposeAsync();
        await Services.DisposeAsync();
    }
}

/// <summary>A real Tenant operator running in the background, counting the tenants its reconciler finished.</summary>
internal sealed class BenchOperator : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly ServiceProvider _metrics;
    private readonly Task _run;

    public BenchOperator(ProvisionCluster cluster, OperatorOptions options, TenantLifecycle lifecycle)
    {
        _metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var kubernetes = KubernetesClientFactory.Create(cluster.Api.ClientConfiguration());
        var tenants = new KubernetesResourceClient<Tenant>(kubernetes, TenantOperator.Resource);
        var events = new EventRecorder(new KubernetesEventClient(kubernetes), "controlplane-operator", "bench", TimeProvider.System, NullLogger<EventRecorder>.Instance);
        // Woken as production wakes it when a busy server frees a slot (TenantOperator), so no tenant waits for the fallback recheck.
        var reconciler = new CountingReconciler(
            new TenantReconciler(tenants, events, lifecycle with { Faults = Steps }, TimeProvider.System, NullLogger<TenantReconciler>.Instance,
                new TenantResync(options.ResyncPeriod), key => Operator!.Controller.Queue.Add(key)), Steps);
        Reconciles = reconciler;
        Operator = new TenantRuntime(
            kubernetes, options, TimeProvider.System, new OperatorMetrics(_metrics.GetRequiredService<IMeterFactory>()), NullLoggerFactory.Instance, () => reconciler);
        _run = Task.Run(() => Operator.RunAsync(_stop.Token));
    }

    public TenantRuntime Operator { get; }

    public CountingReconciler Reconciles { get; }

    /// <summary>Time per provisioning step, summed over every reconcile (the rest is status writes and events).</summary>
    public StepTimer Steps { get; } = new();

    /// <summary>Tenants in the informer cache that are Active and Ready for their current generation.</summary>
    public int ConvergedCount() => Operator.Informer.Cache.Items.Count(t =>
        t.Status.ObservedGeneration == t.Metadata.Generation
        && t.Status.Phase == TenantPhases.Active
        && Conditions.Find(t.Status.Conditions, TenantConditions.Ready) is { Status: Conditions.True });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _run;
        await _metrics.DisposeAsync();
    }
}
