using System.Diagnostics.Metrics;
using ControlPlane.KubeApi;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Runtime;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// One in-process API server (loading config/crds) plus helpers to run real operator instances against it.
/// The test's own calls use <see cref="Client"/>; the operators use a client with the operator's User-Agent.
/// </summary>
internal sealed class OperatorTestCluster : IAsyncDisposable
{
    public const string TenantNamespace = "tenants";
    public const string OperatorNamespace = "econt-system";

    private readonly List<RunningOperator> _operators = [];

    private OperatorTestCluster(KubeApiServer server)
    {
        Server = server;
        Client = server.CreateClient();
    }

    public KubeApiServer Server { get; }

    public Kubernetes Client { get; }

    public static async Task<OperatorTestCluster> StartAsync(CancellationToken cancellationToken)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) }, cancellationToken);
        var cluster = new OperatorTestCluster(server);
        foreach (var ns in new[] { TenantNamespace, OperatorNamespace })
        {
            await cluster.Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken);
        }

        return cluster;
    }

    public static OperatorOptions DefaultOptions() => new()
    {
        MaxConcurrentReconciles = 4,
        WatchTimeout = TimeSpan.FromSeconds(5),
        RetryInitialDelay = TimeSpan.FromMilliseconds(100),
        RetryMaxDelay = TimeSpan.FromSeconds(2),
        LeaderElection = new LeaderElectionOptions { Enabled = false, LeaseNamespace = OperatorNamespace, Identity = "test" },
        TenantDatabaseServers = { ["default"] = new TenantDatabaseServerOptions { Host = "localhost", AdminSecretRef = "mock:pg-admin" } },
    };

    /// <summary>An operator client as production builds it (same User-Agent), pointed at the test server.</summary>
    public IKubernetes CreateOperatorClient() => KubernetesClientFactory.Create(Server.ClientConfiguration());

    public RunningOperator StartOperator(Action<OperatorOptions>? configure = null, Func<IReconciler<Tenant>>? reconciler = null)
    {
        var options = DefaultOptions();
        configure?.Invoke(options);
        // Each instance owns its meters and disposes them on stop, so a stopped instance stops reporting.
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new OperatorMetrics(services.GetRequiredService<IMeterFactory>());
        var tenantOperator = new TenantOperator(CreateOperatorClient(), options, TimeProvider.System, metrics, NullLoggerFactory.Instance, reconciler);
        var running = new RunningOperator(tenantOperator, services);
        _operators.Add(running);
        return running;
    }

    public async Task<Tenant> CreateTenantAsync(string name, Action<TenantSpec>? spec = null, CancellationToken cancellationToken = default)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = TenantNamespace } };
        tenant.Spec.DisplayName = $"Tenant {name}";
        spec?.Invoke(tenant.Spec);
        return await Client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, TenantNamespace, Tenant.Plural, cancellationToken: cancellationToken);
    }

    public async Task<Tenant?> GetTenantAsync(string name, CancellationToken cancellationToken = default) =>
        await new KubernetesResourceClient<Tenant>(Client, TenantOperator.Resource).GetAsync(TenantNamespace, name, cancellationToken);

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

    /// <summary>A tenant the Tenant reconciler has converged: finalizer held, status for the current generation.</summary>
    public static bool IsConverged(Tenant? tenant) =>
        tenant is not null
        && tenant.Metadata.Finalizers?.Contains(Tenant.Finalizer) == true
        && tenant.Status.ObservedGeneration == tenant.Metadata.Generation
        && tenant.Status.Phase == TenantPhases.Provisioning
        && Conditions.Find(tenant.Status.Conditions, TenantConditions.Ready)?.Reason == TenantConditions.Reasons.AwaitingProvisioner;

    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout} waiting until {what}");
            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var running in _operators)
        {
            await running.StopAsync();
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

    public RunningOperator(TenantOperator tenantOperator, ServiceProvider services)
    {
        Operator = tenantOperator;
        _services = services;
        _run = Task.Run(() => tenantOperator.RunAsync(_stop.Token));
    }

    public TenantOperator Operator { get; }

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
