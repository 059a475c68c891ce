using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ControlPlane.Sandbox.Postgres;

/// <summary>
/// One PostgreSQL server run from local binaries on 127.0.0.1, as nobody when this process is root.
/// Used by the test fixture and by the dev default; never in staging or prod.
/// </summary>
public sealed class EmbeddedPostgresServer : IAsyncDisposable
{
    /// <summary>File in the instance folder naming the process that owns the server, for orphan sweeps.</summary>
    public const string OwnerFileName = "owner.pid";

    private readonly EmbeddedPostgresOptions _options;
    private readonly string _binDirectory;
    private int _stopped;

    /// <summary>
    /// The server listens on loopback only. The bootstrap superuser is trusted there (dev and tests need no
    /// password); every other role must authenticate with SCRAM, as tenant roles do in production.
    /// </summary>
    private const string HostBasedAuthentication = """
        # Written by ControlPlane.Sandbox.Postgres: loopback only, superuser trusted, everyone else SCRAM.
        local all postgres trust
        local all all      scram-sha-256
        host  all postgres 127.0.0.1/32 trust
        host  all all      127.0.0.1/32 scram-sha-256

        """;

    private EmbeddedPostgresServer(EmbeddedPostgresOptions options, string binDirectory, int port)
    {
        _options = options;
        _binDirectory = binDirectory;
        Port = port;
    }

    public int Port { get; }

    public string DataDirectory => Path.Combine(_options.InstanceDirectory, "data");

    /// <summary>Superuser connection (trust authentication on loopback) to the <c>postgres</c> database.</summary>
    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = IPAddress.Loopback.ToString(),
        Port = Port,
        Username = "postgres",
        Database = "postgres",
        Pooling = true,
    }.ConnectionString;

    public static async Task<EmbeddedPostgresServer> StartAsync(EmbeddedPostgresOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var binDirectory = options.BinDirectory ?? await PostgresBinaries.EnsureInstalledAsync(cancellationToken);
        var instance = Path.GetFullPath(options.InstanceDirectory);
        var data = Path.Combine(instance, "data");
        var socket = Path.Combine(instance, "socket");
        Directory.CreateDirectory(socket);
        await File.WriteAllTextAsync(Path.Combine(instance, OwnerFileName), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);

        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            Directory.CreateDirectory(data);
            ProcessRunner.ChangeOwner(instance);
            await ProcessRunner.RunAsync(
                Path.Combine(binDirectory, "initdb"),
                ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "--no-sync"],
                dropPrivileges: true,
                cancellationToken);
            await File.WriteAllTextAsync(Path.Combine(data, "pg_hba.conf"), HostBasedAuthentication, cancellationToken);
        }
        else
        {
            ProcessRunner.ChangeOwner(instance);
        }

        // A port picked free can be taken before postgres binds it; pick again a few times.
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port != 0 ? options.Port : FreePort();
            try
            {
                await ProcessRunner.RunAsync(
                    Path.Combine(binDirectory, "pg_ctl"),
                    ["-D", data, "-l", Path.Combine(instance, "server.log"), "-w", "-t", "60", "-o", ServerOptions(options, port, socket), "start"],
                    dropPrivileges: true,
                    cancellationToken);
                return new EmbeddedPostgresServer(options with { InstanceDirectory = instance }, binDirectory, port);
            }
            catch (EmbeddedPostgresException) when (options.Port == 0 && attempt < 5)
            {
                await Task.Delay(100 * attempt, cancellationToken);
            }
        }
    }

    /// <summary>Whether a server is already running from this instance folder (the dev database between commands).</summary>
    public static bool TryReadRunningPort(string instanceDirectory, out int port)
    {
        port = 0;
        var pidFile = Path.Combine(instanceDirectory, "data", "postmaster.pid");
        if (!File.Exists(pidFile))
        {
            return false;
        }

        // postmaster.pid: line 1 pid, line 4 port (documented layout of the file).
        var lines = File.ReadAllLines(pidFile);
        return lines.Length >= 4
            && int.TryParse(lines[0], out var pid)
            && ProcessLiveness.IsAlive(pid)
            && int.TryParse(lines[3], out port);
    }

    /// <summary>
    /// Stops servers whose owning process is gone and deletes their folders: a test run that was killed
    /// must not leave postgres running for the next one.
    /// </summary>
    public static async Task SweepOrphansAsync(string root, string binDirectory, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(root))
        {
            return;
        }

        foreach (var instance in Directory.EnumerateDirectories(root))
        {
            var owner = Path.Combine(instance, OwnerFileName);
            if (!File.Exists(owner)
                || !int.TryParse(await File.ReadAllTextAsync(owner, cancellationToken), out var ownerPid)
                || ProcessLiveness.IsAlive(ownerPid))
            {
                continue;
            }

            try
            {
                await StopAsync(binDirectory, Path.Combine(instance, "data"), cancellationToken);
            }
            catch (EmbeddedPostgresException) when (!ServerIsAlive(Path.Combine(instance, "data")))
            {
                // pg_ctl refuses some leftovers (a single-user server's negative pid, written by a killed initdb or
                // bootstrap) whose process is gone: nothing runs, so the folder is only debris. One such folder must
                // not fail every later test run on the machine.
            }

            TryDelete(instance);
        }
    }

    /// <summary>Whether the process postmaster.pid names (negative for a single-user server) still runs.</summary>
    private static bool ServerIsAlive(string data)
    {
        var pidFile = Path.Combine(data, "postmaster.pid");
        return File.Exists(pidFile)
            && int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), out var pid)
            && ProcessLiveness.IsAlive(Math.Abs(pid));
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        await StopAsync(_binDirectory, DataDirectory, CancellationToken.None);
        if (_options.Ephemeral)
        {
            TryDelete(_options.InstanceDirectory);
        }
    }

    private static async Task StopAsync(string binDirectory, string data, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            return;
        }

        try
        {
            await ProcessRunner.RunAsync(
                Path.Combine(binDirectory, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "-t", "30", "stop"], dropPrivileges: true, cancellationToken);
        }
        catch (EmbeddedPostgresException) when (!File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            // Already stopped between the check and the call.
        }
    }

    private static string ServerOptions(EmbeddedPostgresOptions options, int port, string socket)
    {
        var settings = $"-p {port} -k {socket} -c listen_addresses=127.0.0.1 -c max_connections={options.MaxConnections}"
                       + string.Concat(options.Settings.Select(s => $" -c {s.Key}={s.Value}"));
        return options.Ephemeral
            ? settings + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            : settings;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void TryDelete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a folder left behind is swept by the next run, a running server is not left behind.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
