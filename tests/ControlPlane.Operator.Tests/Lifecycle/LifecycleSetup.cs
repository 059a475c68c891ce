using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// The set-up most lifecycle tests begin with, in one place: start the cluster (API server, catalog, tenant server),
/// run whatever must exist before the operator, start the real operator, apply the tenants in order and wait for each
/// until it is Active (or the state the test names). What a test asserts stays in the test.
/// <code>
/// await using var run = await LifecycleSetup.For(postgres).WithTenant("acme", s => s.DeletionPolicy = DeletionPolicies.Delete).StartAsync(_ct);
/// var (cluster, world, acme) = (run.Cluster, run.World, run.Tenants["acme"]);
/// </code>
/// </summary>
internal sealed class LifecycleSetup
{
    private readonly PostgresFixture _postgres;
    private readonly List<Func<OperatorTestCluster, LifecycleWorld, Task>> _preparations = [];
    private readonly List<TenantToApply> _tenants = [];
    private Action<OperatorOptions>? _options;
    private IProvisioningFaults? _faults;
    private ILoggerFactory? _loggers;

    private LifecycleSetup(PostgresFixture postgres) => _postgres = postgres;

    public static LifecycleSetup For(PostgresFixture postgres) => new(postgres);

    /// <summary>Runs before the operator starts (a namespace, a stranger's objects on the server).</summary>
    public LifecycleSetup Before(Func<OperatorTestCluster, LifecycleWorld, Task> preparation)
    {
        _preparations.Add(preparation);
        return this;
    }

    /// <summary>How the operator is started: options on top of the cluster's defaults, provisioning faults, loggers.</summary>
    public LifecycleSetup WithOperator(Action<OperatorOptions>? options = null, IProvisioningFaults? faults = null, ILoggerFactory? loggers = null)
    {
        (_options, _faults, _loggers) = (options, faults, loggers);
        return this;
    }

    /// <summary>
    /// A tenant applied once the operator runs, then waited for (60 s, a bound for a loaded machine) until
    /// <paramref name="until"/> holds: by default converged (finalizer, Active, Ready for the current generation).
    /// </summary>
    public LifecycleSetup WithTenant(string name, Action<TenantSpec>? spec = null, Func<Tenant, bool>? until = null, string what = "Active")
    {
        _tenants.Add(new TenantToApply(name, spec, until ?? OperatorTestCluster.IsConverged, what));
        return this;
    }

    public async Task<LifecycleRun> StartAsync(CancellationToken cancellationToken)
    {
        var cluster = await OperatorTestCluster.StartAsync(_postgres, cancellationToken);
        try
        {
            var world = new LifecycleWorld(cluster, _postgres);
            foreach (var preparation in _preparations)
            {
                await preparation(cluster, world);
            }

            var running = cluster.StartOperator(_options, faults: _faults, loggers: _loggers);
            var tenants = new Dictionary<string, Tenant>();
            foreach (var tenant in _tenants)
            {
                await cluster.CreateTenantAsync(tenant.Name, tenant.Spec, cancellationToken);
                tenants[tenant.Name] = await world.WaitForAsync(tenant.Name, tenant.Until, tenant.What);
            }

            return new LifecycleRun(cluster, world, running, tenants);
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private sealed record TenantToApply(string Name, Action<TenantSpec>? Spec, Func<Tenant, bool> Until, string What);
}

/// <summary>A started <see cref="LifecycleSetup"/>: disposing it stops the operator and the cluster.</summary>
internal sealed class LifecycleRun(OperatorTestCluster cluster, LifecycleWorld world, RunningOperator running, IReadOnlyDictionary<string, Tenant> tenants)
    : IAsyncDisposable
{
    public OperatorTestCluster Cluster => cluster;

    public LifecycleWorld World => world;

    /// <summary>The operator the set-up started (a test may stop it, as a crash, and start another).</summary>
    public RunningOperator Operator => running;

    /// <summary>Each tenant as it was read when it reached the state the set-up waited for.</summary>
    public IReadOnlyDictionary<string, Tenant> Tenants => tenants;

    public ValueTask DisposeAsync() => cluster.DisposeAsync();
}
