using System.Collections.Concurrent;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Drift;

/// <summary>
/// A fake clock that runs at about the wall clock's pace (so the informer's and the work queue's short delays behave as
/// in production) and can jump ahead past a resync, so a test triggers the 10-minute resync without waiting for it.
/// </summary>
internal sealed class ResyncClock : IAsyncDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _ticking;

    public ResyncClock() => _ticking = Task.Run(TickAsync);

    public FakeTimeProvider Time { get; } = new(DateTimeOffset.UtcNow);

    /// <summary>Past every tenant's next resync (the default period plus its largest jitter).</summary>
    public void JumpPastResync() => Time.Advance((TenantResync.DefaultPeriod * (1 + TenantResync.Jitter)) + TimeSpan.FromMinutes(1));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _ticking;
        _stop.Dispose();
    }

    private async Task TickAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Tick, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            Time.Advance(Tick);
        }
    }
}

/// <summary>The real Tenant reconciler, wrapped to record each result per tenant (a healthy resync writes nothing to wait for).</summary>
internal sealed class ResultLog
{
    private readonly ConcurrentQueue<(string Name, ReconcileResult Result)> _results = new();

    public int Count(string name) => _results.Count(r => r.Name == name);

    public ReconcileResult? Last(string name) => _results.LastOrDefault(r => r.Name == name).Result;

    /// <summary>
    /// Starts the operator on <paramref name="clock"/> with the production reconciler (default 10-minute resync), every
    /// result recorded here.
    /// </summary>
    public RunningOperator StartOperator(OperatorTestCluster cluster, ResyncClock clock, ILoggerFactory? loggers = null, CatalogSnapshotMetrics? snapshot = null)
    {
        var options = cluster.DefaultOptions();
        var lifecycle = cluster.CreateLifecycle(options, loggers: loggers, snapshotMetrics: snapshot, time: clock.Time);
        var client = cluster.CreateOperatorClient();
        var tenants = new KubernetesResourceClient<Tenant>(client, TenantOperator.Resource);
        var events = new EventRecorder(new KubernetesEventClient(client), "controlplane-operator", "test", clock.Time, NullLogger<EventRecorder>.Instance);
        return cluster.StartRuntime(
            configure: null,
            reconciler: () => new Recorder(
                new TenantReconciler(tenants, events, lifecycle, clock.Time, (loggers ?? NullLoggerFactory.Instance).CreateLogger<TenantReconciler>(),
                    new TenantResync(options.ResyncPeriod)), this),
            time: clock.Time);
    }

    /// <summary>Waits until the tenant's latest reconcile succeeded (a resync is scheduled) and no other followed for a while.</summary>
    public async Task WaitSettledAsync(string name, CancellationToken cancellationToken)
    {
        var seen = -1;
        await OperatorTestCluster.WaitUntilAsync(
            async () =>
            {
                var count = Count(name);
                var quiet = count == seen && Last(name) is ReconcileResult.Requeue;
                seen = count;
                await Task.Delay(500, cancellationToken);
                return quiet;
            },
            TimeSpan.FromSeconds(90), $"{name}: reconciled successfully and quiet", cancellationToken);
    }

    /// <summary>Waits until the tenant was reconciled after <paramref name="before"/> reconciles and succeeded.</summary>
    public Task WaitResyncedAsync(string name, int before, CancellationToken cancellationToken) =>
        OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(Count(name) > before && Last(name) is ReconcileResult.Requeue),
            TimeSpan.FromSeconds(90), () => $"{name}: resynced after {before} reconciles (now {Count(name)}, last {Last(name)})", cancellationToken);

    private sealed class Recorder(IReconciler<Tenant> inner, ResultLog log) : IReconciler<Tenant>
    {
        public async Task<ReconcileResult> ReconcileAsync(Tenant resource, CancellationToken cancellationToken)
        {
            var result = await inner.ReconcileAsync(resource, cancellationToken);
            log._results.Enqueue((resource.Metadata.Name, result));
            return result;
        }
    }
}

/// <summary>Fingerprints of everything a resync could write: catalog rows and tenant database objects (row versions).</summary>
internal static class WriteFingerprints
{
    /// <summary>Every catalog row with its row version (xmin changes on any UPDATE, even to the same values).</summary>
    public static async Task<string> CatalogAsync(OperatorTestCluster cluster, CancellationToken cancellationToken)
    {
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand("""
            SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
                SELECT 'tenant ' || id || ' ' || xmin FROM control_plane.tenants
                UNION ALL SELECT 'event ' || id || ' ' || xmin FROM control_plane.tenant_events
                UNION ALL SELECT 'limits ' || tenant_id || ' ' || xmin FROM control_plane.tenant_limits) f(x)
            """);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Inside a tenant database (as the superuser): relations, schemas, extensions and default privileges with their row versions.</summary>
    public static async Task<string> TenantDatabaseAsync(PostgresFixture postgres, string database, CancellationToken cancellationToken)
    {
        var settings = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = database, Pooling = false };
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("""
            SELECT coalesce(string_agg(x, E'\n' ORDER BY x), '') FROM (
                SELECT 'class ' || c.oid || ' ' || c.xmin FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'
                UNION ALL SELECT 'namespace ' || oid || ' ' || xmin FROM pg_namespace
                UNION ALL SELECT 'extension ' || oid || ' ' || xmin FROM pg_extension
                UNION ALL SELECT 'default acl ' || oid || ' ' || xmin FROM pg_default_acl
                UNION ALL SELECT 'changelog ' || count(*) FROM public.econt_schema_changelog) f(x)
            """, connection);
        return (string)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Kubernetes writes of any kind (status, finalizers, Events, Secrets) seen by the API server so far.</summary>
    public static int KubernetesWrites(OperatorTestCluster cluster) =>
        new[] { "create", "update", "patch", "delete" }.Sum(verb => cluster.Server.CountRequests(verb, "*"));
}
