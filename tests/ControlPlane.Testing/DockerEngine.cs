using System.Net.Sockets;

namespace ControlPlane.Testing;

/// <summary>Tells whether a Docker engine answers, so Testcontainers is used only where it can work.</summary>
public static class DockerEngine
{
    private const string DefaultSocket = "/var/run/docker.sock";

    /// <summary>Why containers cannot run here, for skip messages; null when an engine answers.</summary>
    public static async Task<string?> UnavailableReasonAsync(CancellationToken cancellationToken)
    {
        var host = Environment.GetEnvironmentVariable("DOCKER_HOST");
        if (host is { Length: > 0 } && !host.StartsWith("unix://", StringComparison.Ordinal))
        {
            return await PingAsync(new Uri(host.Replace("tcp://", "http://", StringComparison.Ordinal)), null, cancellationToken)
                ? null
                : $"no Docker engine answers at DOCKER_HOST={host}";
        }

        var socket = host is { Length: > 0 } ? host["unix://".Length..] : DefaultSocket;
        if (!File.Exists(socket))
        {
            return $"no Docker engine socket at {socket} (this machine has only the docker client)";
        }

        return await PingAsync(new Uri("http://docker"), socket, cancellationToken)
            ? null
            : $"the Docker engine socket {socket} does not answer /_ping";
    }

    public static async Task<bool> IsReachableAsync(CancellationToken cancellationToken) =>
        await UnavailableReasonAsync(cancellationToken) is null;

    private static async Task<bool> PingAsync(Uri baseAddress, string? unixSocket, CancellationToken cancellationToken)
    {
        using var handler = new SocketsHttpHandler();
        if (unixSocket is not null)
        {
            handler.ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(unixSocket), ct);
                return new NetworkStream(socket, ownsSocket: true);
            };
        }

        using var client = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await client.GetAsync(new Uri("/_ping", UriKind.Relative), cancellationToken);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}
