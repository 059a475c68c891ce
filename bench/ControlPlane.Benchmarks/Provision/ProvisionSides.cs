using System.Diagnostics;
using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Benchmarks.Provision;

/// <summary>One way of provisioning tenants, timed in chunks; each side has its own namespace, catalog and names.</summary>
internal abstract class ProvisionSide(string label) : IAsyncDisposable
{
    private int _next;

    public string Label { get; } = label;

    public TimeSpan Total { get; private set; }

    public int Provisioned { get; private set; }

    public abstract StepTimer Steps { get; }

    /// <summary>Provisions <paramref name="count"/> new tenants; counted in <see cref="Total"/> unless a warm-up.</summary>
    public async Task<TimeSpan> ProvisionAsync(int count, bool warmup, CancellationToken cancellationToken)
    {
        var tenants = Enumerable.Range(_next, count).Select(i => Place(ProvisionCluster.NewTenant(Namespace, $"{Label}-{i:0000}"), i)).ToList();
        _next += count;
        var clock = Stopwatch.StartNew();
        await ProvisionAsync(tenants, cancellationToken);
        clock.Stop();
        if (warmup)
        {
            Steps.Reset();
        }
        else
        {
            Total += clock.Elapsed;
            Provisioned += count;
        }

        return clock.Elapsed;
    }

    protected string Namespace => $"bench-{Label}";

    protected abstract Task ProvisionAsync(IReadOnlyList<Tenant> tenants, CancellationToken cancellationToken);

    /// <summary>The <paramref name="index"/>-th tenant of the side as it is applied (its server, for the fleet side).</summary>
    protected virtual Tenant Place(Tenant tenant, int index) => tenant;

    public abstract ValueTask DisposeAsync();
}

/// <summary>The real operator: wall time from the first Tenant created until all created so far are Active and Ready.</summary>
internal sealed class OperatorSide : ProvisionSide
{
    private readonly ProvisionCluster _cluster;
    private readonly string[] _servers;
    private Lifecycle? _lifecycle;
    private BenchOperator? _operator;
    private int _created;

    private OperatorSide(ProvisionCluster cluster, string label, string[] servers) : base(label) => (_cluster, _servers) = (cluster, servers);

    public override StepTimer Steps => _operator!.Steps;

    public int Reconciles => _operator!.Reconciles.Calls;

    /// <summary>
    /// An operator side with <paramref name="workers"/> workers; with <paramref name="fleet"/>, three tenant database servers
    /// (<see cref="ProvisionCluster.FleetServers"/>) that its tenants name in turn in <c>spec.database.server</c>.
    /// </summary>
    public static async Task<OperatorSide> StartAsync(ProvisionCluster cluster, string label, int workers, CancellationToken cancellationToken, bool fleet = false)
    {
        var side = new OperatorSide(cluster, label, fleet ? ProvisionCluster.FleetServers : []);
        await cluster.CreateNamespaceAsync(side.Namespace, cancellationToken);
        var options = cluster.Options(side.Namespace, workers, fleet);
        side._lifecycle = cluster.CreateLifecycle(options, await cluster.CreateCatalogAsync($"catalog_{label}", cancellationToken));
        side._operator = new BenchOperator(cluster, options, side._lifecycle.Value);
        await ProvisionBenchmark.WaitAsync(() => side._operator.Operator.Informer.HasSynced, TimeSpan.FromSeconds(30), $"{label}: initial sync", cancellationToken);
        return side;
    }

    /// <summary>Round-robin over the side's servers: explicit placement (placement by capacity is the fleet branch's).</summary>
    protected override Tenant Place(Tenant tenant, int index)
    {
        if (_servers.Length > 0)
        {
            tenant.Spec.Database!.Server = _servers[index % _servers.Length];
        }

        return tenant;
    }

    protected override async Task ProvisionAsync(IReadOnlyList<Tenant> tenants, CancellationToken cancellationToken)
    {
        foreach (var tenant in tenants)
        {
            await _cluster.CreateTenantAsync(tenant, cancellationToken);
        }

        _created += tenants.Count;
        await ProvisionBenchmark.WaitAsync(() => _operator!.ConvergedCount() == _created, TimeSpan.FromMinutes(10), $"{Label}: {_created} tenants Active", cancellationToken);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_operator is not null)
        {
            await _operator.DisposeAsync();
        }

        if (_lifecycle is not null)
        {
            await _lifecycle.DisposeAsync();
        }
    }
}

/// <summary>The baseline: <see cref="DirectProvisioner"/>, one tenant after another.</summary>
internal sealed class DirectSide : ProvisionSide
{
    private Lifecycle? _lifecycle;

    private DirectSide(string label) : base(label)
    {
    }

    public override StepTimer Steps { get; } = new();

    public static async Task<DirectSide> StartAsync(ProvisionCluster cluster, string label, CancellationToken cancellationToken)
    {
        var side = new DirectSide(label);
        side._lifecycle = cluster.CreateLifecycle(cluster.Options(side.Namespace, 1), await cluster.CreateCatalogAsync($"catalog_{label}", cancellationToken));
        return side;
    }

    protected override async Task ProvisionAsync(IReadOnlyList<Tenant> tenants, CancellationToken cancellationToken)
    {
        foreach (var tenant in tenants)
        {
            await DirectProvisioner.ProvisionAsync(_lifecycle!.Value, tenant, Steps, cancellationToken);
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_lifecycle is not null)
        {
            await _lifecycle.DisposeAsync();
        }
    }
}
