using System.Diagnostics;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Secrets;
using Microsoft.Extensions.DependencyInjection;

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
        var tenants = Enumerable.Range(_next, count).Select(i => ProvisionCluster.NewTenant(Namespace, $"{Label}-{i:0000}")).ToList();
        _next += count;
        var clock = Stopwatch.StartNew();
        await ProvisionAsync(tenants, warmup, cancellationToken);
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

    protected abstract Task ProvisionAsync(IReadOnlyList<Tenant> tenants, bool warmup, CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();
}

/// <summary>
/// The real operator: wall time from the first Tenant created until all created so far are Active and Ready. On the
/// fleet side, also each tenant's time to be placed: from just before its Tenant is created until the informer cache
/// shows a server in its status (placement chosen, catalog row registered on it, status written, watch delivered).
/// </summary>
internal sealed class OperatorSide : ProvisionSide
{
    private readonly ProvisionCluster _cluster;
    private readonly bool _fleet;
    private readonly Dictionary<string, long> _createdAt = [];
    private readonly List<TimeSpan> _placement = [];
    private Lifecycle? _lifecycle;
    private BenchOperator? _operator;
    private int _created;

    private OperatorSide(ProvisionCluster cluster, string label, bool fleet) : base(label) => (_cluster, _fleet) = (cluster, fleet);

    public override StepTimer Steps => _operator!.Steps;

    public int Reconciles => _operator!.Reconciles.Calls;

    public ISecretStore Secrets => _lifecycle!.Services.GetRequiredService<ISecretStore>();

    /// <summary>Time to placement of each counted tenant of the fleet side (warm-up excluded).</summary>
    public IReadOnlyList<TimeSpan> Placements => _placement;

    /// <summary>
    /// An operator side with <paramref name="workers"/> workers; with <paramref name="fleet"/>, three tenant database servers
    /// (<see cref="ProvisionCluster.FleetServers"/>) registered as resources, and Tenants without <c>spec.database.server</c>:
    /// the operator places them (least loaded, ADR-CP-010).
    /// </summary>
    public static async Task<OperatorSide> StartAsync(ProvisionCluster cluster, string label, int workers, CancellationToken cancellationToken, bool fleet = false)
    {
        var side = new OperatorSide(cluster, label, fleet);
        await cluster.CreateNamespaceAsync(side.Namespace, cancellationToken);
        var options = cluster.Options(side.Namespace, workers);
        side._lifecycle = cluster.CreateLifecycle(options, await cluster.CreateCatalogAsync($"catalog_{label}", cancellationToken));
        if (fleet)
        {
            cluster.RegisterFleet(side._lifecycle.Servers);
        }

        side._operator = new BenchOperator(cluster, options, side._lifecycle.Value);
        await side._operator.Operator.Informer.WaitForSyncAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        return side;
    }

    /// <summary>Live tenants per server in the side's catalog, for the spread placement gave.</summary>
    public async Task<string> SpreadAsync(CancellationToken cancellationToken)
    {
        var load = await _lifecycle!.Value.Catalog.CountLiveByServerAsync([], cancellationToken);
        return string.Join(", ", load.OrderBy(l => l.Server, StringComparer.Ordinal).Select(l => $"{l.Server ?? l.Host + ":" + l.Port} {l.Tenants}"));
    }

    protected override async Task ProvisionAsync(IReadOnlyList<Tenant> tenants, bool warmup, CancellationToken cancellationToken)
    {
        var unplaced = new HashSet<string>(StringComparer.Ordinal);
        foreach (var tenant in tenants)
        {
            _createdAt[tenant.Metadata.Name] = Stopwatch.GetTimestamp();
            unplaced.Add(tenant.Metadata.Name);
            await _cluster.CreateTenantAsync(tenant, cancellationToken);
        }

        _created += tenants.Count;
        await ProvisionBenchmark.WaitAsync(
            () =>
            {
                if (_fleet && unplaced.Count > 0)
                {
                    var now = Stopwatch.GetTimestamp();
                    foreach (var placed in _operator!.Operator.Informer.Cache.Items.Where(t => t.Status.Database?.Server is not null && unplaced.Remove(t.Metadata.Name)))
                    {
                        if (!warmup)
                        {
                            _placement.Add(Stopwatch.GetElapsedTime(_createdAt[placed.Metadata.Name], now));
                        }
                    }
                }

                return _operator!.ConvergedCount() == _created;
            },
            TimeSpan.FromMinutes(10), $"{Label}: {_created} tenants Active", cancellationToken);
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

    protected override async Task ProvisionAsync(IReadOnlyList<Tenant> tenants, bool warmup, CancellationToken cancellationToken)
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
