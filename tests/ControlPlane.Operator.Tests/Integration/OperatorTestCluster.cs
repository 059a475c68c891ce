using System.Diagnostics.Metrics;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using DeploymentEnvironment = ControlPlane.Core.Configuration.DeploymentEnvironment;
using TenantCatalog = ControlPlane.Store.Catalog.TenantCatalog;
using TenantSchemaMigrator = ControlPlane.Store.TenantDatabases.TenantSchemaMigrator;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// One in-process API server (loading config/crds) plus helpers to run real operator instances against it.
/// The test's own calls use <see cref="Client"/>; the operators use a client with the operator's User-Agent.
/// </summary>
internal sealed class OperatorTestCluster : IAsyncDisposable
{
    public const string TenantNamespace = "tenants";
    public const string OperatorNamespace = "econt-system";

    /// <summary>Where generated tenant secrets live.</summary>
    public const string SecretNamespace = "econt-tenants";

    /// <summary>The database server's admin secret, in the operator's own namespace as the shipped manifests keep it.</summary>
    public const string AdminSecretName = "tenant-server-admin";

    private readonly List<RunningOperator> _operators = [];
    private readonly List<IAsyncDisposable> _owned = [];

    private OperatorTestCluster(KubeApiServer server, TenantServer tenantServer, string catalog, string serverHost, int serverPort)
    {
        Server = server;
        Client = server.CreateClient();
        TenantServer = tenantServer;
        CatalogConnectionString = catalog;
        _serverHost = serverHost;
        _serverPort = serverPort;
    }

    private readonly string _serverHost;
    private readonly int _serverPort;

    public KubeApiServer Server { get; }

    public Kubernetes Client { get; }

    /// <summary>The tenant database server (PostgreSQL 17) with its CREATEDB/CREATEROLE admin role.</summary>
    public TenantServer TenantServer { get; }

    /// <summary>Where the tenant database server listens.</summary>
    public (string Host, int Port) TenantServerEndpoint => (_serverHost, _serverPort);

    /// <summary>A migrated catalog database of this cluster's own.</summary>
    public string CatalogConnectionString { get; }

    // crdDirectory: serve the CRDs of this directory instead of config/crds (e.g. an older, looser Tenant CRD).
    public static async Task<OperatorTestCluster> StartAsync(PostgresFixture postgres, CancellationToken cancellationToken, string? crdDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        var server = await KubeApiServer.StartAsync(
            new KubeApiServerOptions
            {
                BookmarkInterval = TimeSpan.FromMilliseconds(200),
                LoadRepositoryCrds = crdDirectory is null,
                CrdDirectories = crdDirectory is null ? [] : [crdDirectory],
            },
            cancellationToken);
        var tenantServer = await TenantServer.CreateAsync(postgres, cancellationToken);
        var catalog = await CatalogTemplate.CreateDatabaseAsync(postgres, cancellationToken);
        var address = new Npgsql.NpgsqlConnectionStringBuilder(postgres.AdminConnectionString);
        var cluster = new OperatorTestCluster(server, tenantServer, catalog, address.Host!, address.Port);
        foreach (var ns in new[] { TenantNamespace, OperatorNamespace, SecretNamespace })
        {
            await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken);
        }

        // The admin password lives where production keeps it: a Secret in the operator's namespace that it reads but did not create.
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = AdminSecretName }, StringData = new Dictionary<string, string> { ["password"] = tenantServer.AdminPassword } },
            OperatorNamespace, cancellationToken: cancellationToken);
        return cluster;
    }

    public OperatorOptions DefaultOptions() => new()
    {
        MaxConcurrentReconciles = 4,
        WatchTimeout = TimeSpan.FromSeconds(5),
        RetryInitialDelay = TimeSpan.FromMilliseconds(100),
        RetryMaxDelay = TimeSpan.FromSeconds(2),
        OperatorNamespace = OperatorNamespace,
        LeaderElection = new LeaderElectionOptions { Enabled = false, LeaseNamespace = OperatorNamespace, Identity = "test" },
        TenantMigrationsPath = Repository.Path("sql", "tenant"),
        TenantDatabaseServers =
        {
            ["default"] = new TenantDatabaseServerOptions
            {
                Host = _serverHost,
                Port = _serverPort,
                AdminUser = TenantServer.AdminRole,
                AdminSecretRef = $"k8s:{OperatorNamespace}/{AdminSecretName}#password",
            },
        },
    };

    /// <summary>
    /// The tenant lifecycle as production assembles it: catalog, the real secret store (Kubernetes backend against
    /// this API server, generated secrets in <see cref="SecretNamespace"/>), the tenant database server, migrations.
    /// </summary>
    public TenantLifecycle CreateLifecycle(
        OperatorOptions options, IProvisioningFaults? faults = null, ILoggerFactory? loggers = null, IReadOnlyDictionary<string, string?>? secretSettings = null,
        CatalogSnapshotMetrics? snapshotMetrics = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["SECRET_MANAGER_BACKEND"] = "k8s",
            ["SECRET_KUBERNETES_NAMESPACE"] = SecretNamespace,
        };
        foreach (var (key, value) in secretSettings ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection()
            .AddSingleton(loggers ?? NullLoggerFactory.Instance)
            .AddSingleton(typeof(ILogger<>), typeof(Logger<>))
            .AddSingleton(CreateOperatorClient())
            .AddSecretStores(configuration)
            .BuildServiceProvider();
        var secrets = services.GetRequiredService<ISecretStore>();
        var servers = new TenantDatabaseServers(options.TenantDatabaseServers, secrets) { Environment = DeploymentEnvironment.Dev };
        var catalog = NpgsqlDataSource.Create(CatalogConnectionString);
        _owned.Add(services);
        _owned.Add(servers);
        _owned.Add(catalog);
        // The bulk resync's snapshot, as production runs it (issue 18): every operator test also runs its guard.
        var snapshot = new TenantCatalogSnapshot(new TenantCatalog(catalog), TenantCatalogSnapshot.MaxAgeFor(options.ResyncPeriod), time ?? TimeProvider.System,
            (loggers ?? NullLoggerFactory.Instance).CreateLogger<TenantCatalogSnapshot>(), snapshotMetrics);
        return new TenantLifecycle(
            new TenantCatalog(catalog),
            secrets,
            services.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase,
            servers,
            new TenantSchemaMigrator(CatalogScripts.TenantDirectory(options)),
            "controlplane-operator/test")
        {
            Faults = faults ?? IProvisioningFaults.None,
            Failures = new TenantFailureTracker(options.FailureThreshold),
            Confinement = TenantBoundaries.Confinement(services, options),
            Namespaces = TenantBoundaries.Namespaces(options),
            Snapshot = snapshot,
        };
    }

    /// <summary>
    /// An operator client as production builds it (same User-Agent), pointed at the test server, optionally through a
    /// <paramref name="network"/> handler that injects faults on this client only (a partitioned or stalled replica).
    /// </summary>
    public IKubernetes CreateOperatorClient(DelegatingHandler? network = null) =>
        network is null ? KubernetesClientFactory.Create(Server.ClientConfiguration()) : KubernetesClientFactory.Create(Server.ClientConfiguration(), network);

    /// <summary>The operator as production composes it (<see cref="TenantOperator"/>): every controller, the real reconciler.</summary>
    public RunningOperator StartOperator(
        Action<OperatorOptions>? configure = null,
        IProvisioningFaults? faults = null,
        ILoggerFactory? loggers = null,
        IReadOnlyDictionary<string, string?>? secretSettings = null,
        DelegatingHandler? network = null,
        TimeProvider? time = null)
    {
        loggers ??= NullLoggerFactory.Instance;
        var options = DefaultOptions();
        configure?.Invoke(options);
        // Each instance owns its meters and disposes them on stop, so a stopped instance stops reporting.
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new OperatorMetrics(services.GetRequiredService<IMeterFactory>());
        var tenantOperator = new TenantOperator(
            CreateOperatorClient(network), options, time ?? TimeProvider.System, metrics, loggers,
            CreateLifecycle(options, faults, loggers, secretSettings, new CatalogSnapshotMetrics(services.GetRequiredService<IMeterFactory>()), time));
        return Track(new RunningOperator(tenantOperator.Runtime, tenantOperator.RunAsync, services));
    }

    /// <summary>
    /// The Tenant controller alone (<see cref="TenantRuntime"/>) driving the test's own <paramref name="reconciler"/>: no
    /// SchemaRollout or TenantDatabaseServer controller, no catalog.
    /// </summary>
    public RunningOperator StartRuntime(
        Action<OperatorOptions>? configure,
        Func<IReconciler<Tenant>> reconciler,
        ILoggerFactory? loggers = null,
        DelegatingHandler? network = null,
        TimeProvider? time = null)
    {
        var options = DefaultOptions();
        configure?.Invoke(options);
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var runtime = new TenantRuntime(
            CreateOperatorClient(network), options, time ?? TimeProvider.System, new OperatorMetrics(services.GetRequiredService<IMeterFactory>()),
            loggers ?? NullLoggerFactory.Instance, reconciler);
        return Track(new RunningOperator(runtime, runtime.RunAsync, services));
    }

    private RunningOperator Track(RunningOperator running)
    {
        _operators.Add(running);
        return running;
    }

    public async Task<Tenant> CreateTenantAsync(string name, Action<TenantSpec>? spec = null, CancellationToken cancellationToken = default, string @namespace = TenantNamespace)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = @namespace } };
        tenant.Spec.DisplayName = $"Tenant {name}";

        // Roles and databases are server-wide and tests share the server: each cluster names its own.
        tenant.Spec.Database = new TenantDatabaseSpec { Name = DatabaseNameFor(name) };
        spec?.Invoke(tenant.Spec);
        return await Client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, @namespace, Tenant.Plural, cancellationToken: cancellationToken);
    }

    /// <summary>The database (and role) name this cluster gives a tenant unless the test sets one.</summary>
    public string DatabaseNameFor(string tenantName) => TenantServer.Prefix + tenantName.Replace('-', '_');

    public async Task<Tenant?> GetTenantAsync(string name, CancellationToken cancellationToken = default, string @namespace = TenantNamespace) =>
        await new KubernetesResourceClient<Tenant>(Client, TenantOperator.Resource).GetAsync(@namespace, name, cancellationToken);

    /// <summary>Changes the spec with a fresh read and retries on 409, as a user's kubectl edit would.</summary>
    public async Task<Tenant> UpdateSpecAsync(string name, Action<TenantSpec> change, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var tenant = (await GetTenantAsync(name, cancellationToken))!;
            change(tenant.Spec);
            try
            {
                return await Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
                    tenant, Tenant.ApiGroup, Tenant.ApiVersionName, TenantNamespace, Tenant.Plural, name, cancellationToken: cancellationToken);
            }
            catch (Exception e) when (ApiErrors.IsConflict(e))
            {
            }
        }
    }

    public Task DeleteTenantAsync(string name, CancellationToken cancellationToken = default) =>
        Client.CustomObjects.DeleteNamespacedCustomObjectAsync(
            Tenant.ApiGroup, Tenant.ApiVersionName, TenantNamespace, Tenant.Plural, name, cancellationToken: cancellationToken);

    /// <summary>A tenant the Tenant reconciler has converged: finalizer held, Active and Ready for the current generation.</summary>
    public static bool IsConverged(Tenant? tenant) =>
        tenant is not null
        && tenant.Metadata.Finalizers?.Contains(Tenant.Finalizer) == true
        && tenant.Status.ObservedGeneration == tenant.Metadata.Generation
        && tenant.Status.Phase == TenantPhases.Active
        && Conditions.Find(tenant.Status.Conditions, TenantConditions.Ready) is { Status: Conditions.True } ready && ready.Reason == TenantReadyReason.Provisioned.ToWire();

    /// <summary>
    /// Polls <paramref name="condition"/> until it holds; <paramref name="timeout"/> is a generous bound for a loaded
    /// machine, never a measurement (tests assert order and safety, not how fast).
    /// </summary>
    public static Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken) =>
        WaitUntilAsync(condition, timeout, () => what, cancellationToken);

    /// <summary>As above; <paramref name="what"/> is evaluated at the timeout, so it can report the last state seen.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, Func<string> what, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        ArgumentNullException.ThrowIfNull(what);
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout} waiting until {what()}");
            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var running in _operators)
        {
            await running.StopAsync();
        }

        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }

        Client.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>An operator instance running in the background until <see cref="StopAsync"/>.</summary>
internal sealed class RunningOperator
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;
    private readonly ServiceProvider _services;

    public RunningOperator(TenantRuntime tenantController, Func<CancellationToken, Task> run, ServiceProvider services)
    {
        Operator = tenantController;
        _services = services;
        _run = Task.Run(() => run(_stop.Token));
    }

    /// <summary>The Tenant controller of this instance (whether or not other controllers run beside it).</summary>
    public TenantRuntime Operator { get; }

    public bool IsStopped => _stop.IsCancellationRequested;

    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        await _stop.CancelAsync();
        await _run;
        await _services.DisposeAsync();
    }
}
