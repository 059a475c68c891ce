using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// Every version of the operator's Lease, as the API server stored it (list, then watch from the list's
/// resourceVersion, so no write is missed): who held it and the renewTime the holder wrote.
/// </summary>
internal sealed class LeaseHistory : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _watch;

    private LeaseHistory(IKubernetes client, string resourceVersion, CancellationToken cancellationToken)
    {
        var token = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, cancellationToken).Token;
        _watch = Task.Run(async () =>
        {
            try
            {
                await foreach (var (_, lease) in client.CoordinationV1.WatchListNamespacedLeaseAsync(
                    OperatorTestCluster.OperatorNamespace, resourceVersion: resourceVersion, timeoutSeconds: 3600, cancellationToken: token))
                {
                    Record(lease);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
        }, CancellationToken.None);
    }

    public ConcurrentQueue<(string Holder, DateTime RenewTime)> Renewals { get; } = new();

    public static async Task<LeaseHistory> StartAsync(IKubernetes client, CancellationToken cancellationToken)
    {
        var leases = await client.CoordinationV1.ListNamespacedLeaseAsync(OperatorTestCluster.OperatorNamespace, cancellationToken: cancellationToken);
        var history = new LeaseHistory(client, leases.Metadata.ResourceVersion, cancellationToken);
        foreach (var lease in leases.Items)
        {
            history.Record(lease);
        }

        return history;
    }

    /// <summary>
    /// Leader election measured by the lease: every reconcile of <paramref name="identity"/> started after one of its
    /// own renewals and before that renewal's lease could have expired for anyone else. (How long a started reconcile
    /// runs on a stalled machine is not bounded by the lease: it is cancelled at the renew deadline, and whether it
    /// ever ran beside another replica's is what the no-overlap check of both reconcile logs proves.)
    /// </summary>
    public void AssertCovers(string identity, IEnumerable<ReconcileSpan> spans, TimeSpan leaseDuration)
    {
        var own = Renewals.Where(r => r.Holder == identity).Select(r => r.RenewTime).Order().ToList();
        foreach (var span in spans)
        {
            var covering = own.LastOrDefault(r => r <= span.WallStarted);
            Assert.True(
                covering != default && span.WallStarted < covering + leaseDuration,
                $"{identity} started reconciling {span.Name} at {span.WallStarted:O}; its last renewal before that was " +
                (covering == default ? "none" : $"{covering:O}, so the lease was open to others from {covering + leaseDuration:O}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _watch;
        _stop.Dispose();
    }

    private void Record(V1Lease lease)
    {
        if (lease.Spec?.HolderIdentity is { } holder && lease.Spec.RenewTime is { } renewed)
        {
            Renewals.Enqueue((holder, renewed.ToUniversalTime()));
        }
    }
}
