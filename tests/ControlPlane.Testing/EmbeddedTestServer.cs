using ControlPlane.Sandbox.Postgres;

namespace ControlPlane.Testing;

/// <summary>
/// Starts a throw-away embedded PostgreSQL 17 for one test process: its own folder and free port,
/// so test processes running at once never clash, and a sweep of servers left by killed runs.
/// </summary>
public static class EmbeddedTestServer
{
    /// <summary>Parent of every test server's folder; world-traversable because the server may run as nobody.</summary>
    public static string Root { get; } = Path.Combine(Path.GetTempPath(), "econt-pg-tests");

    public static async Task<EmbeddedPostgresServer> StartAsync(CancellationToken cancellationToken, string? binDirectory = null)
    {
        binDirectory ??= await PostgresBinaries.EnsureInstalledAsync(cancellationToken);
        Directory.CreateDirectory(Root);
        await EmbeddedPostgresServer.SweepOrphansAsync(Root, binDirectory, cancellationToken);

        var instance = Path.Combine(Root, $"{Environment.ProcessId}-{Guid.NewGuid():N}");
        var server = await EmbeddedPostgresServer.StartAsync(
            // Many operator test clusters share one server, each with its own pools: room for all of them.
            new EmbeddedPostgresOptions { InstanceDirectory = instance, BinDirectory = binDirectory, Ephemeral = true, MaxConnections = 500 },
            cancellationToken);

        // Safety net for a test host that exits without disposing its fixtures.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return server;
    }
}
