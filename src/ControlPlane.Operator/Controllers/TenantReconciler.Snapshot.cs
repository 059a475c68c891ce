using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.Catalog;
using k8s;
using Tenant = ControlPlane.Operator.Api.V1Alpha1.Tenant;
using TenantStatus = ControlPlane.Operator.Api.V1Alpha1.TenantStatus;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The bulk resync (issue 18, ADR-CP-011). A pass of a healthy tenant may start from the leader's catalog snapshot
/// instead of a statement of its own; it then decides on a row that may be older than the catalog, which is fine for
/// finding that nothing needs doing and never for acting. So before the pass's first act (DDL, a status write, a
/// catalog write) the row is read again on its own and compared: the same row, and the pass goes on (it costs what a
/// pass without the snapshot costs); another (changed by hand or by another process, or gone), and the pass starts over
/// once on the current row, having changed nothing.
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>
    /// The row a pass decides on. A fresh read (no snapshot, or a row the pass read itself) is confirmed from the start;
    /// a snapshot row is confirmed by <see cref="BeforeActAsync"/>.
    /// </summary>
    private sealed class DecidedRow(TenantCatalog catalog, TenantWithLimits? fromSnapshot, TenantCatalogSnapshot? snapshot)
    {
        public static readonly DecidedRow Fresh = new(null!, null, null);

        public bool Confirmed { get; private set; } = fromSnapshot is null;

        /// <summary>Call before every act of the pass; throws <see cref="SnapshotRowChangedException"/> when the snapshot row is not the catalog's.</summary>
        public async Task BeforeActAsync(CancellationToken cancellationToken)
        {
            if (Confirmed)
            {
                return;
            }

            // Whatever the comparison finds, this pass acts on the row (now or after starting over): later passes read their own.
            snapshot?.Forget(fromSnapshot!.Tenant.Id);
            TenantWithLimits? current;
            try
            {
                current = await catalog.GetWithLimitsAsync(fromSnapshot!.Tenant.Id, cancellationToken);
            }
            catch (TenantNotFoundException)
            {
                current = null;
            }

            // Every column of the row and of its limits (records compare by value): a change of any, by anyone, is seen.
            snapshot?.Metrics?.Confirmed(current == fromSnapshot);
            if (current != fromSnapshot)
            {
                throw new SnapshotRowChangedException(fromSnapshot!.Tenant.Id);
            }

            Confirmed = true;
        }
    }

    /// <summary>A snapshot row differed from the catalog before the pass acted: the pass starts over on the current row.</summary>
    private sealed class SnapshotRowChangedException(Guid tenantId) : Exception($"The catalog row of tenant {tenantId} changed since the snapshot was read.")
    {
        public Guid TenantId { get; } = tenantId;
    }

    /// <summary>The row from the snapshot when status names a live row it holds; null when the pass must read its own.</summary>
    private async Task<TenantWithLimits?> SnapshotRowAsync(Guid id, CancellationToken cancellationToken) =>
        lifecycle.Snapshot is { } snapshot ? await snapshot.FindAsync(id, cancellationToken) : null;

    /// <summary>Writes status as <see cref="StatusWriter{T,TStatus}"/> does, confirming a snapshot row first when the write will happen.</summary>
    private async Task<Tenant?> UpdateStatusAsync(Tenant tenant, Func<Tenant, TenantStatus> desired, DecidedRow row, CancellationToken cancellationToken)
    {
        if (!row.Confirmed && KubernetesJson.Serialize(desired(tenant)) != KubernetesJson.Serialize(tenant.Status))
        {
            await row.BeforeActAsync(cancellationToken);
        }

        return await _status.UpdateAsync(tenant, desired, cancellationToken);
    }
}
