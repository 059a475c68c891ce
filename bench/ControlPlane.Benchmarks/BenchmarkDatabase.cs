using ControlPlane.Sandbox.Postgres;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Sql;
using Npgsql;

namespace ControlPlane.Benchmarks;

/// <summary>
/// A throw-away database for one benchmark run: on the server named by <c>CONTROL_PLANE_DATABASE_URL</c>, or on an
/// embedded PostgreSQL 17 started for the run. The database is dropped (and the embedded server stopped) on dispose,
/// so a benchmark never touches the catalog it might be pointed at.
/// </summary>
internal sealed class BenchmarkDatabase : IAsyncDisposable
{
    private readonly NpgsqlConnectionStringBuilder _maintenance;
    private readonly EmbeddedPostgresServer? _server;

    private BenchmarkDatabase(NpgsqlConnectionStringBuilder maintenance, string name, EmbeddedPostgresServer? server)
    {
        _maintenance = maintenance;
        _server = server;
        Name = name;
        ConnectionString = new NpgsqlConnectionStringBuilder(maintenance.ConnectionString) { Database = name, Pooling = true }.ConnectionString;
        Where = server is null ? DatabaseUrl.Describe(maintenance) : $"embedded PostgreSQL 17 on 127.0.0.1:{server.Port}";
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public string Where { get; }

    public static async Task<BenchmarkDatabase> CreateAsync(string prefix, CancellationToken cancellationToken)
    {
        EmbeddedPostgresServer? server = null;
        NpgsqlConnectionStringBuilder maintenance;
        if (Environment.GetEnvironmentVariable(DatabaseUrl.VariableName) is { Length: > 0 } url)
        {
            maintenance = DatabaseUrl.Parse(url);
        }
        else
        {
            var instance = Path.Combine(Path.GetTempPath(), "econt-bench", $"{Environment.ProcessId}-{Guid.NewGuid():N}");
            server = await EmbeddedPostgresServer.StartAsync(
                new EmbeddedPostgresOptions { InstanceDirectory = instance, BinDirectory = await PostgresBinaries.EnsureInstalledAsync(cancellationToken) },
                cancellationToken);
            maintenance = new NpgsqlConnectionStringBuilder(server.ConnectionString);
        }

        maintenance.Database = "postgres";
        maintenance.Pooling = false;
        var name = $"{prefix}_{Guid.NewGuid():N}"[..40];
        await ExecuteAsync(maintenance, $"CREATE DATABASE {SqlIdentifier.Quote(name)}", cancellationToken);
        return new BenchmarkDatabase(maintenance, name, server);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_maintenance, $"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(Name)} WITH (FORCE)", CancellationToken.None);
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnectionStringBuilder target, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(target.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
