using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Store.Catalog;
using Npgsql;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The one way a failure leaves a reconcile: named by <see cref="TenantFailures"/>, counted by the process's
/// <see cref="TenantFailureTracker"/>, shown as Ready=False once a human must act or it repeated past the threshold,
/// recorded in the catalog once per distinct problem, then retried as its class says.
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>How soon a race (conflict, deadlock, a stale object) is retried while below the threshold.</summary>
    internal static readonly TimeSpan FastRetry = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Below the threshold a transient failure is only logged and retried. Once shown: Ready=False with the reason, a
    /// Warning event (repeats raise its count) and, the first time this incident meets the problem, a catalog
    /// <c>error</c> event unless the newest catalog event already reports it (a restarted operator adds nothing).
    /// </summary>
    private async Task<ReconcileResult> FailAsync(
        Tenant tenant, CatalogTenant? row, TenantFailure failure, Exception? error, CancellationToken cancellationToken)
    {
        var key = FailureKey(tenant);
        var slug = TenantSpecRules.EffectiveSlug(tenant);
        if (!lifecycle.Failures.Failed(key, failure, time.GetUtcNow()))
        {
            Log.FailureRetried(logger, error, slug, failure.Reason.ToWire(), failure.Message);
            return failure.Retry == FailureRetry.Immediately ? ReconcileResult.RequeueAfter(FastRetry) : ReconcileResult.TransientError(failure.Message, error);
        }

        // Status last: what the condition announces is already in the catalog and in the Event, so whoever sees it (a
        // platform engineer, a test) finds the record beside it. A catalog that cannot record does not hide the status.
        if (failure.InCatalog)
        {
            await RecordInCatalogAsync(tenant, row, key, failure, cancellationToken);
        }

        await events.RecordAsync(tenant, EventRecorder.Warning, failure.Reason.ToWire(), failure.Message, cancellationToken);
        await _status.UpdateAsync(tenant, t => TenantStatusRules.Blocked(t, failure.Reason, failure.Message, time.GetUtcNow()), cancellationToken);
        Log.Blocked(logger, slug, failure.Reason.ToWire(), failure.Message);
        return failure.Retry switch
        {
            FailureRetry.Recheck => ReconcileResult.RequeueAfter(BlockedRecheck),
            FailureRetry.UntilSpecChanges => ReconcileResult.TerminalError(failure.Reason.ToWire(), failure.Message),

            // Past the threshold a race that keeps recurring is no longer "at once": it backs off like any other.
            _ => ReconcileResult.TransientError(failure.Message, error),
        };
    }

    private async Task RecordInCatalogAsync(Tenant tenant, CatalogTenant? row, string key, TenantFailure failure, CancellationToken cancellationToken)
    {
        try
        {
            var tenantId = row?.Id ?? (await RowFromStatusAsync(tenant, fromSnapshot: true, cancellationToken))?.Read.Tenant.Id;
            if (tenantId is { } id && lifecycle.Failures.FirstOccurrence(key, failure)
                && !await IsLatestErrorAsync(id, failure.Reason, failure.Message, cancellationToken))
            {
                await lifecycle.Catalog.RecordErrorAsync(id, failure.Reason.ToWire(), failure.Message, Actor(tenant), cancellationToken);
            }
        }
        catch (Exception e) when (e is NpgsqlException or CatalogException)
        {
            Log.FailureNotRecorded(logger, e, TenantSpecRules.EffectiveSlug(tenant), failure.Reason.ToWire());
        }
    }

    private async Task<bool> IsLatestErrorAsync(Guid tenantId, TenantReadyReason reason, string message, CancellationToken cancellationToken)
    {
        var newest = (await lifecycle.Catalog.GetEventsAsync(tenantId, 1, null, cancellationToken)).Items.FirstOrDefault();
        return newest is { Payload: { } payload }
            && CatalogEventTypes.TryParse(newest.EventType, out var type) && type == CatalogEventType.Error
            && payload.TryGetProperty("reason", out var r) && TenantReadyReasons.TryParse(r.GetString(), out var recorded) && recorded == reason
            && payload.TryGetProperty("message", out var m) && m.GetString() == message;
    }

    /// <summary>One Tenant object: a re-created Tenant (new uid) starts with no failures.</summary>
    private static string FailureKey(Tenant tenant) =>
        $"{tenant.Metadata.NamespaceProperty}/{tenant.Metadata.Name}/{tenant.Metadata.Uid}";

    /// <summary>Runs work against a tenant database server, turning every Npgsql failure into one named <see cref="TenantServerException"/>.</summary>
    private static async Task OnServerAsync(TenantDatabaseServer server, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (NpgsqlException e)
        {
            var tls = $"sslmode {server.Tls?.ModeName ?? "default"}{(server.Tls?.RootCertificate is { } ca ? $", CA {ca}" : "")}";
            throw new TenantServerException(TenantFailures.OfServer(server.Name, server.Host, server.Port, tls, e), e);
        }
    }
}
