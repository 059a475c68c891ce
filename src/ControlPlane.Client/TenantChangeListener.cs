using ControlPlane.Store.Catalog;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ControlPlane.Client;

/// <summary>
/// Holds one connection on <see cref="TenantChanges.Channel"/> and reports, in order: up (subscribed), each change,
/// down (connection lost). Notifications sent while it is down are lost for good, so the owner must treat "down"
/// as "anything may have changed". Reconnects with exponential backoff; a quiet connection is checked with a round
/// trip every heartbeat so a dead server is noticed even when nothing is being announced.
/// </summary>
internal sealed class TenantChangeListener(
    NpgsqlDataSource dataSource,
    TenantConnectionResolverOptions options,
    TimeProvider time,
    ILogger logger,
    ITenantChangeSink sink)
{
    private readonly TaskCompletionSource _firstAttempt = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _subscribed;

    /// <summary>Completes once the first subscription attempt succeeded or failed.</summary>
    public Task FirstAttempt => _firstAttempt.Task;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            var delay = options.ReconnectMinDelay;
            while (!cancellationToken.IsCancellationRequested)
            {
                _subscribed = false;
                try
                {
                    await ListenUntilBrokenAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception e)
                {
                    // Whatever broke the subscription, the cache must stop trusting itself before anything else happens;
                    // an escaped exception would leave it "up" with nobody listening.
                    sink.ListenerDown();
                    _firstAttempt.TrySetResult();
                    // A connection that was subscribed and then broke starts the backoff over; repeated failures to connect double it.
                    delay = _subscribed ? options.ReconnectMinDelay : delay;
                    Log.ListenerLost(logger, e.GetType().Name + ": " + e.Message, (long)delay.TotalMilliseconds);
                }

                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.ReconnectMaxDelay.Ticks));
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            sink.ListenerDown();
            _firstAttempt.TrySetResult();
        }
    }

    private async Task ListenUntilBrokenAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        connection.Notification += OnNotification;
        try
        {
            await TenantChanges.ListenAsync(connection, cancellationToken).ConfigureAwait(false);
            sink.ListenerUp();
            _subscribed = true;
            _firstAttempt.TrySetResult();
            Log.ListenerConnected(logger, TenantChanges.Channel);
            while (true)
            {
                if (!await connection.WaitAsync(options.ListenerHeartbeat, cancellationToken).ConfigureAwait(false))
                {
                    await TenantChanges.PingAsync(connection, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            connection.Notification -= OnNotification;
            await UnlistenQuietlyAsync(connection).ConfigureAwait(false);
        }
    }

    /// <summary>Best effort: a broken connection is discarded by the pool anyway, LISTEN and all.</summary>
    private static async Task UnlistenQuietlyAsync(NpgsqlConnection connection)
    {
        if (connection.FullState != System.Data.ConnectionState.Open)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await TenantChanges.UnlistenAsync(connection, timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or InvalidOperationException)
        {
            // The connection is broken or busy; Npgsql will not return a broken one to the pool.
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (e.Channel != TenantChanges.Channel)
        {
            return;
        }

        if (TenantChanges.Parse(e.Payload) is { } change)
        {
            sink.TenantChanged(change);
        }
        else
        {
            Log.UnreadableNotification(logger);
            sink.EverythingChanged();
        }
    }
}

/// <summary>What the listener reports to (the resolver's cache).</summary>
internal interface ITenantChangeSink
{
    void ListenerUp();

    void ListenerDown();

    void TenantChanged(TenantChange change);

    void EverythingChanged();
}
