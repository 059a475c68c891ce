using System.Diagnostics.Metrics;
using ControlPlane.Runtime;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The bulk resync's instruments (issue 18, ADR-CP-011), on the operator's meter: how many catalog statements the
/// snapshot costs and how many per-tenant reads it saves, so "statements per tenant and resync" is read off
/// <c>/metrics</c> as well as off the benchmark. <c>controlplane_catalog_snapshot_loads_total{result}</c> (ok, failed),
/// <c>controlplane_catalog_snapshot_statements_total</c> (one per keyset page), <c>controlplane_catalog_snapshot_rows</c>
/// (rows of the snapshot in use; 0 on a follower, which holds none), <c>controlplane_catalog_row_reads_total{source}</c>
/// (a pass's row from the <c>snapshot</c> or from a <c>catalog</c> statement of its own) and
/// <c>controlplane_catalog_snapshot_confirmations_total{result}</c> (a snapshot row read again before a pass acted:
/// <c>current</c>, or <c>changed</c> behind the operator's back and the pass redone on the current row).
/// </summary>
public sealed class CatalogSnapshotMetrics
{
    private readonly Counter<long> _loads;
    private readonly Counter<long> _statements;
    private readonly Counter<long> _reads;
    private readonly Counter<long> _confirmations;
    private Func<int> _rows = () => 0;
    private long _loadCount;
    private long _statementCount;
    private long _snapshotReads;
    private long _catalogReads;
    private long _changed;

    public CatalogSnapshotMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        var meter = meterFactory.Create(OperatorMetrics.MeterName);
        _loads = meter.CreateCounter<long>("controlplane.catalog.snapshot.loads", description: "Bulk reads of the catalog for resyncs, by result (ok, failed).");
        _statements = meter.CreateCounter<long>("controlplane.catalog.snapshot.statements", description: "Catalog statements (keyset pages) the bulk reads issued.");
        _reads = meter.CreateCounter<long>("controlplane.catalog.row_reads", description: "Rows a Tenant reconcile started from, by source (snapshot, catalog).");
        _confirmations = meter.CreateCounter<long>(
            "controlplane.catalog.snapshot.confirmations", description: "Snapshot rows read again before a reconcile acted, by result (current, changed).");
        meter.CreateObservableGauge("controlplane.catalog.snapshot.rows", () => _rows(), description: "Live catalog rows in the snapshot in use (0 when none is held).");
    }

    /// <summary>Successful bulk reads so far (the counters below are this instance's totals, as exported).</summary>
    public long Loads => Interlocked.Read(ref _loadCount);

    /// <summary>Catalog statements of every bulk read, failed ones included.</summary>
    public long Statements => Interlocked.Read(ref _statementCount);

    public long SnapshotReads => Interlocked.Read(ref _snapshotReads);

    public long CatalogReads => Interlocked.Read(ref _catalogReads);

    /// <summary>Snapshot rows found changed by the read before an act.</summary>
    public long Changed => Interlocked.Read(ref _changed);

    public void Loaded(int pages)
    {
        Interlocked.Increment(ref _loadCount);
        Load("ok", pages);
    }

    public void LoadFailed(int pages) => Load("failed", pages);

    public void RowRead(bool fromSnapshot)
    {
        Interlocked.Increment(ref fromSnapshot ? ref _snapshotReads : ref _catalogReads);
        _reads.Add(1, new KeyValuePair<string, object?>("source", fromSnapshot ? "snapshot" : "catalog"));
    }

    public void Confirmed(bool current)
    {
        if (!current)
        {
            Interlocked.Increment(ref _changed);
        }

        _confirmations.Add(1, new KeyValuePair<string, object?>("result", current ? "current" : "changed"));
    }

    public void ObserveRows(Func<int> rows) => _rows = rows;

    private void Load(string result, int pages)
    {
        _loads.Add(1, new KeyValuePair<string, object?>("result", result));
        Interlocked.Add(ref _statementCount, pages);
        _statements.Add(pages);
    }
}
