using ControlPlane.Sandbox.Postgres;
using ControlPlane.Store.Preflight;
using ControlPlane.Store.Sql;
using Npgsql;
using Testcontainers.PostgreSql;
using Xunit;

namespace ControlPlane.Testing;

/// <summary>
/// PostgreSQL 17 for a test assembly, chosen in this order: an existing server named by
/// <c>CONTROL_PLANE_TEST_DATABASE_URL</c>; a Docker engine through Testcontainers; otherwise the
/// embedded PostgreSQL 17 from the npm cache. Each test asks for its own database.
/// Register once per assembly: <c>[assembly: AssemblyFixture(typeof(PostgresFixture))]</c>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const string UrlVariable = "CONTROL_PLANE_TEST_DATABASE_URL";

    private readonly List<string> _createdDatabases = [];
    private EmbeddedPostgresServer? _embedded;
    private PostgreSqlContainer? _container;
    private NpgsqlDataSource? _admin;

    /// <summary>Which of the three sources serves this run: "url", "testcontainers" or "embedded".</summary>
    public string Source { get; private set; } = "";

    /// <summary>A superuser connection to the server's maintenance database.</summary>
    public string AdminConnectionString { get; private set; } = "";

    public NpgsqlDataSource Admin => _admin ?? throw new InvalidOperationException("The fixture is not initialised.");

    public async ValueTask InitializeAsync()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        if (Environment.GetEnvironmentVariable(UrlVariable) is { Length: > 0 } url)
        {
            Source = "url";
            AdminConnectionString = Store.Connection.DatabaseUrl.Parse(url).ConnectionString;
        }
        else if (await DockerEngine.IsReachableAsync(cancellationToken))
        {
            Source = "testcontainers";
            _container = new PostgreSqlBuilder("postgres:17").Build();
            await _container.StartAsync(cancellationToken);
            AdminConnectionString = _container.GetConnectionString();
        }
        else
        {
            Source = "embedded";
            _embedded = await EmbeddedTestServer.StartAsync(cancellationToken);
            AdminConnectionString = _embedded.ConnectionString;
        }

        _admin = NpgsqlDataSource.Create(AdminConnectionString);
        await PostgresPreflight.CheckAsync(_admin, cancellationToken);
    }

    /// <summary>Creates an empty database for one test and returns a superuser connection string to it.</summary>
    public async Task<string> CreateDatabaseAsync(string? template = null, CancellationToken cancellationToken = default)
    {
        var name = "t_" + Guid.NewGuid().ToString("N");
        var sql = $"CREATE DATABASE {SqlIdentifier.Quote(name)}"
            + (template is null ? "" : $" TEMPLATE {SqlIdentifier.Quote(template)}");
        await using (var command = Admin.CreateCommand(sql))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        lock (_createdDatabases)
        {
            _createdDatabases.Add(name);
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        // Only a shared server outlives the run, so only there do test databases need dropping.
        if (Source == "url" && _admin is not null)
        {
            foreach (var name in _createdDatabases)
            {
                await using var command = _admin.CreateCommand($"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(name)} WITH (FORCE)");
                await command.ExecuteNonQueryAsync();
            }
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }

        if (_embedded is not null)
        {
            await _embedded.DisposeAsync();
        }

        if (_container is not null)
        {
            await _container.DisposeAsync();
        }
    }
}
