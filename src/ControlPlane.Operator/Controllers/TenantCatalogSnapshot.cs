using System.Diagnostics;
using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Every live catalog row with its limits, read in bulk (keyset pages of <see cref="PageSize"/>, one statement each)
/// and used for at most <see cref="MaxAge"/>: the row a resync of a healthy tenant starts from, so a resync period of
/// the whole fleet costs a constant few statements instead of one per tenant (issue 18, ADR-CP-011).
/// </summary>
/// <remarks>
/// A snapshot row may be older than the catalog: it is good for deciding that nothing needs doing, never for acting.
/// The reconciler reads a snapshot row again on its own before its first act (DDL, status write, catalog write) and
/// starts the pass over when it changed (TenantReconciler.Snapshot.cs). One load at a time (single flight): the fleet's
/// reconciles that find the snapshot too old wait for the same load. The leader's reconcilers are the only users, and
/// <see cref="Clear"/> drops it when a term ends, so a follower holds no rows and a new term starts from a new read.
/// A failed load is logged and counted; the reconciles waiting for it read their own rows, as without a snapshot.
/// </remarks>
public sealed class TenantCatalogSnapshot
{
    /// <summary>Rows per statement: about 10 statements for 100,000 tenants, each a few MB.</summary>
    public const int DefaultPageSize = 10_000;

    private readonly TenantCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly CatalogSnapshotMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Loaded? _current;
    private Task<Loaded?>? _loading;
    private long _loadsStarted;

    // Rows a pass is acting on (or acted on), with the number of loads started by then: a load that started no later
    // may hold the row as it was before the act, so it does not serve it and the pass reads its own.
    private readonly Dictionary<Guid, long> _actedOn = [];
    private CancellationTokenSource _term = new();

    public TenantCatalogSnapshot(
        TenantCatalog catalog, TimeSpan maxAge, TimeProvider time, ILogger logger, CatalogSnapshotMetrics? metrics = null, int pageSize = DefaultPageSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxAge, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, TenantCatalog.MaxBulkPageSize);
        _catalog = catalog;
        _time = time;
        _logger = logger;
        _metrics = metrics;
        MaxAge = maxAge;
        PageSize = pageSize;
        metrics?.ObserveRows(() => Volatile.Read(ref _current)?.Rows.Count ?? 0);
    }

    /// <summary>
    /// Half the resync period: tenants come back every period ±10 %, so each period's resyncs share one or two loads, and
    /// a change made by hand that calls for no act of the operator is seen within one and a half periods.
    /// </summary>
    public static TimeSpan MaxAgeFor(TimeSpan resyncPeriod) => resyncPeriod / 2;

    /// <summary>How old (from the start of its read) a snapshot may be and still serve a resync.</summary>
    public TimeSpan MaxAge { get; }

    public int PageSize { get; }

    public CatalogSnapshotMetrics? Metrics => _metrics;

    /// <summary>
    /// The live row with this id as a bulk read at most <see cref="MaxAge"/> old saw it; null when that read has no
    /// live row with this id (registered since, soft-deleted, or the read failed): the caller reads the row itself.
    /// </summary>
    public async Task<TenantWithLimits?> FindAsync(Guid id, CancellationToken cancellationToken)
    {
        Task<Loaded?> loading;
        lock (_lock)
        {
            if (_current is { } current && _time.GetUtcNow() - current.At < MaxAge)
            {
                return Serve(current, id);
            }

            loading = _loading ?? StartLoad();
        }

        var loaded = await loading.WaitAsync(cancellationToken);
        lock (_lock)
        {
            return loaded is null ? null : Serve(loaded, id);
        }
    }

    /// <summary>
    /// Starts the first load of a term at once, when no read is held or running: the leader calls it as its term
    /// begins, so the bulk read runs while the servers are registered and the workers start, instead of after the
    /// first resync that needs it (the initial sync of 100,000 Tenants waited for it, issue 18).
    /// </summary>
    public void Prefetch()
    {
        lock (_lock)
        {
            if (_current is null && _loading is null)
            {
                StartLoad();
            }
        }
    }

    /// <summary>
    /// A pass is about to act on this tenant's row (TenantReconciler.Snapshot.cs): the snapshot read so far, and any
    /// load already started, no longer serve it, so the passes that follow the act read the row the act left instead
    /// of finding their snapshot row changed and starting over. Served again from the next load.
    /// </summary>
    public void Forget(Guid id)
    {
        lock (_lock)
        {
            _actedOn[id] = _loadsStarted;
        }
    }

    /// <summary>Drops the rows and any load in flight (the leader's term ended).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _term.Cancel();
            _term.Dispose();
            _term = new CancellationTokenSource();
            _current = null;
            _loading = null;
            _actedOn.Clear();
        }
    }

    // Under the lock. Started on the pool, not inline: the load takes this lock when it finishes.
    private Task<Loaded?> StartLoad()
    {
        var (term, sequence) = (_term.Token, ++_loadsStarted);
        return _loading = Task.Run(() => LoadAsync(sequence, term), CancellationToken.None);
    }

    // Under the lock.
    private TenantWithLimits? Serve(Loaded loaded, Guid id) =>
        _actedOn.TryGetValue(id, out var startedBefore) && startedBefore >= loaded.Sequence ? null : loaded.Rows.GetValueOrDefault(id);

    private async Task<Loaded?> LoadAsync(long sequence, CancellationToken term)
    {
        // Aged from before the first page: no row is younger than this.
        var at = _time.GetUtcNow();
        var clock = Stopwatch.StartNew();
        var rows = new Dictionary<Guid, TenantWithLimits>();
        var pages = 0;
        try
        {
            Guid? after = null;
            while (true)
            {
                var page = await _catalog.ListLiveWithLimitsAsync(after, PageSize, term);
                pages++;
                foreach (var row in page)
                {
                    rows[row.Tenant.Id] = row;
                }

                if (page.Count < PageSize)
                {
                    break;
                }

                after = page[^1].Tenant.Id;
            }
        }
        catch (Exception e)
        {
            if (term.IsCancellationRequested)
            {
                // Cleared: the next term's load (if any) is not this one's to forget.
                return null;
            }

            lock (_lock)
            {
                _loading = null;
            }

            _metrics?.LoadFailed(pages);
            Log.SnapshotLoadFailed(_logger, e, pages);
            return null;
        }

        var loaded = new Loaded(rows, at, sequence);
        lock (_lock)
        {
            if (!term.IsCancellationRequested)
            {
                _current = loaded;
                _loading = null;

                // Acts seen before this load started are in its rows (or caught by the re-read before the next act).
                foreach (var (id, startedBefore) in _actedOn.ToList())
                {
                    if (startedBefore < sequence)
                    {
                        _actedOn.Remove(id);
                    }
                }
            }
        }

        _metrics?.Loaded(pages);
        Log.SnapshotLoaded(_logger, rows.Count, pages, clock.ElapsedMilliseconds);
        return loaded;
    }

    private sealed record Loaded(IReadOnlyDictionary<Guid, TenantWithLimits> Rows, DateTimeOffset At, long Sequence);
}
