using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ControlPlane.Sandbox.Postgres;

namespace ControlPlane.Operator.Tests.Sandbox;

/// <summary>
/// The real operator executable started as a newcomer would (dev, no kubeconfig anywhere, no in-cluster configuration),
/// with its .dev folder in a temporary directory. Stopped with SIGTERM, so it stops its embedded PostgreSQL itself.
/// </summary>
internal sealed class SandboxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly Task _readers;

    private SandboxProcess(Process process, int port)
    {
        _process = process;
        Port = port;
        _readers = Task.WhenAll(Pump(process.StandardOutput), Pump(process.StandardError));
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The environment of a fresh machine: only the dev folder, a HOME without ~/.kube, and the PostgreSQL binaries cache.</summary>
    public static Dictionary<string, string?> FreshMachine(string devDirectory, string home) => new()
    {
        ["CONTROL_PLANE_DEV_DIR"] = devDirectory,
        ["HOME"] = home,
        ["CONTROL_PLANE_PG_CACHE"] = PostgresBinaries.CacheRoot,
        ["KUBECONFIG"] = null,
        ["KUBERNETES_SERVICE_HOST"] = null,
        ["KUBERNETES_SERVICE_PORT"] = null,
        ["ENVIRONMENT"] = null,
        ["CONTROL_PLANE_DATABASE_URL"] = null,
        ["SECRET_MANAGER_BACKEND"] = null,
    };

    public static SandboxProcess Start(IReadOnlyDictionary<string, string?> environment, params string[] arguments)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetTempPath(),
        };
        foreach (var argument in (string[])[Path.Combine(AppContext.BaseDirectory, "controlplane.dll"), .. arguments, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        return new SandboxProcess(Process.Start(start)!, port);
    }

    /// <summary>Waits for a printed line that starts with <paramref name="prefix"/> and returns the rest of it.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var line = Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
            if (line is not null)
            {
                return line[prefix.Length..];
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"the operator exited with {_process.ExitCode} before printing '{prefix}':\n{Output}");
            }

            try
            {
                await Task.Delay(200, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"no line '{prefix}' within {timeout}:\n{Output}");
            }
        }
    }

    /// <summary>SIGTERM, as `kubectl delete pod` or Ctrl+C would; the host stops the operator, then the embedded servers.</summary>
    public async Task StopAsync()
    {
        if (!_process.HasExited)
        {
            using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        await _readers;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _process.Dispose();
    }

    private async Task Pump(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
