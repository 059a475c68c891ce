using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ControlPlane.Benchmarks.Secrets;

/// <summary>
/// A minimal Vault on loopback for the benchmark (HttpListener, no ASP.NET): token lookup and KV v2 reads with
/// Vault's response shape. It stands in for the network round trip an uncached read costs; a real Vault adds more.
/// </summary>
internal sealed class VaultStub : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly CancellationTokenSource _stop = new();

    private VaultStub(int port)
    {
        Address = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Address.ToString());
    }

    public Uri Address { get; }

    public static VaultStub Start()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();

        var stub = new VaultStub(port);
        stub._listener.Start();
        for (var i = 0; i < Environment.ProcessorCount * 2; i++)
        {
            _ = stub.ServeAsync();
        }

        return stub;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _stop.Dispose();
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            var path = context.Request.Url!.AbsolutePath;
            var body = path == "/v1/auth/token/lookup-self"
                ? """{"data":{"ttl":0,"renewable":false,"policies":["root"]}}"""
                : $$$"""{"request_id":"bench","lease_id":"","renewable":false,"lease_duration":0,"data":{"data":{"password":"bench-password-{{{path.Length}}}-0000000000000000"},"metadata":{"created_time":"2026-01-01T00:00:00Z","custom_metadata":null,"deletion_time":"","destroyed":false,"version":1}},"wrap_info":null,"warnings":null,"auth":null}""";
            var bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/json";
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes);
            context.Response.Close();
        }
    }
}
