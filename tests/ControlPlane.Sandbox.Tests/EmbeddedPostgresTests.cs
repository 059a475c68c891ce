using ControlPlane.Sandbox.Postgres;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

public sealed class EmbeddedPostgresTests
{
    [Fact]
    public async Task Two_servers_started_at_once_get_their_own_port_and_folder_and_leave_nothing_running()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var servers = await Task.WhenAll(
            EmbeddedTestServer.StartAsync(cancellationToken),
            EmbeddedTestServer.StartAsync(cancellationToken));
        var pids = new List<int>();
        var folders = new List<string>();

        foreach (var server in servers)
        {
            await using var connection = new NpgsqlConnection(server.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT pg_backend_pid(), current_setting('server_version_num')::int", connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            Assert.True(reader.GetInt32(1) >= 170000);
            pids.Add(PostmasterPid(server.DataDirectory));
            folders.Add(Path.GetDirectoryName(server.DataDirectory)!);
        }

        Assert.NotEqual(servers[0].Port, servers[1].Port);
        Assert.NotEqual(folders[0], folders[1]);

        foreach (var server in servers)
        {
            await server.DisposeAsync();
        }

        Assert.All(pids, pid => Assert.False(ProcessLiveness.IsAlive(pid), $"postgres {pid} is still running"));
        Assert.All(folders, folder => Assert.False(Directory.Exists(folder), $"{folder} was left behind"));
    }

    [Fact]
    public async Task A_server_whose_owner_died_is_stopped_by_the_next_sweep()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var bin = await PostgresBinaries.EnsureInstalledAsync(cancellationToken);
        var root = Path.Combine(EmbeddedTestServer.Root, "sweep-" + Guid.NewGuid().ToString("N"));
        var instance = Path.Combine(root, "orphan");
        var server = await EmbeddedPostgresServer.StartAsync(
            new EmbeddedPostgresOptions { InstanceDirectory = instance, BinDirectory = bin }, cancellationToken);
        var pid = PostmasterPid(server.DataDirectory);

        // Pretend the owning test process was killed: a pid that cannot exist.
        await File.WriteAllTextAsync(Path.Combine(instance, EmbeddedPostgresServer.OwnerFileName), "2147483646", cancellationToken);
        await EmbeddedPostgresServer.SweepOrphansAsync(root, bin, cancellationToken);

        Assert.False(ProcessLiveness.IsAlive(pid), "the orphaned postgres is still running");
        Assert.False(Directory.Exists(instance));
        Directory.Delete(root, recursive: true);
    }

    private static int PostmasterPid(string dataDirectory) =>
        int.Parse(File.ReadLines(Path.Combine(dataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);
}
