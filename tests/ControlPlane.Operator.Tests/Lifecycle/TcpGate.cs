using System.Net;
using System.Net.Sockets;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// A TCP forwarder on 127.0.0.1 that starts closed (every connection is cut at once, as a server that is down) and,
/// once opened, relays to the real server: a database outage and its recovery, with real sockets. Closing it again cuts
/// every relay in flight (pooled connections included): a server that goes down for good.
/// </summary>
internal sealed class TcpGate : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly (string Host, int Port) _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private volatile bool _open;
    private CancellationTokenSource _relays = new();

    private TcpGate((string Host, int Port) target)
    {
        _target = target;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public static Task<TcpGate> StartAsync((string Host, int Port) target, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(new TcpGate(target));
    }

    public void Open() => _open = true;

    public void Close()
    {
        _open = false;
        var relays = Interlocked.Exchange(ref _relays, new CancellationTokenSource());
        relays.Cancel();
        relays.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        _relays.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            if (!_open)
            {
                client.Client.LingerState = new LingerOption(true, 0);
                client.Dispose();
                continue;
            }

            var relay = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, _relays.Token);
            _ = Task.Run(() => RelayAsync(client, relay));
        }
    }

    private async Task RelayAsync(TcpClient client, CancellationTokenSource relay)
    {
        using (relay)
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                await upstream.ConnectAsync(_target.Host, _target.Port, relay.Token);
                await using var a = client.GetStream();
                await using var b = upstream.GetStream();
                await Task.WhenAny(a.CopyToAsync(b, relay.Token), b.CopyToAsync(a, relay.Token));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException)
            {
                // A relay ends when either side closes.
            }
        }
    }
}
