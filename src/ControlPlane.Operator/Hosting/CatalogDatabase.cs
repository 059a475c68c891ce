using ControlPlane.Core.Configuration;
using ControlPlane.Sandbox.Postgres;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Connection;
using Npgsql;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The catalog database a command talks to: the one named by <c>CONTROL_PLANE_DATABASE_URL</c>, or,
/// in dev only and when that is unset, an embedded PostgreSQL 17 kept in the repository's <c>.dev</c> folder.
/// Disposing stops the embedded server if this handle started it.
/// </summary>
internal sealed class CatalogDatabase : IAsyncDisposable
{
    private readonly EmbeddedPostgresServer? _startedServer;

    private CatalogDatabase(NpgsqlConnectionStringBuilder connection, bool embedded, EmbeddedPostgresServer? startedServer)
    {
        Connection = connection;
        IsEmbedded = embedded;
        _startedServer = startedServer;
    }

    public NpgsqlConnectionStringBuilder Connection { get; }

    public bool IsEmbedded { get; }

    /// <summary>Where the catalog lives, without credentials.</summary>
    public string Description => DatabaseUrl.Describe(Connection) + (IsEmbedded ? " (embedded dev server)" : "");

    public static async Task<CatalogDatabase> OpenAsync(DeploymentEnvironment environment, CancellationToken cancellationToken)
    {
        if (Environment.GetEnvironmentVariable(DatabaseUrl.VariableName) is { Length: > 0 } url)
        {
            return new CatalogDatabase(DatabaseTls.ApplyCatalogRules(DatabaseUrl.Parse(url), environment), embedded: false, startedServer: null);
        }

        if (environment != DeploymentEnvironment.Dev)
        {
            throw new ConfigurationException(
                $"{DatabaseUrl.VariableName} is required when ENVIRONMENT={environment.ToString().ToLowerInvariant()}; " +
                "the embedded database exists for dev only.");
        }

        var devDirectory = DevDirectory.Locate() ?? throw new ConfigurationException(
            $"{DatabaseUrl.VariableName} is not set and no repository checkout was found for the embedded dev database; " +
            $"set {DatabaseUrl.VariableName}, or {DevDirectory.OverrideVariable} to a folder for the dev database.");

        var instance = Path.Combine(devDirectory, "postgres");
        EmbeddedPostgresServer? started = null;
        if (!EmbeddedPostgresServer.TryReadRunningPort(instance, out var port))
        {
            started = await StartDevServerAsync(instance, cancellationToken);
            port = started.Port;
        }

        var connection = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1",
            Port = port,
            Username = "postgres",
            Database = DatabaseUrl.DefaultDatabase,
        };
        var database = new CatalogDatabase(connection, embedded: true, started);
        await database.EnsureDatabaseExistsAsync(cancellationToken);
        return database;
    }

    /// <summary>Keeps the dev server on the same port across runs, so psql and IDE connections keep working.</summary>
    private static async Task<EmbeddedPostgresServer> StartDevServerAsync(string instance, CancellationToken cancellationToken)
    {
        var portFile = Path.Combine(instance, "port");
        var options = new EmbeddedPostgresOptions { InstanceDirectory = instance, Ephemeral = false, MaxConnections = 100 };
        EmbeddedPostgresServer server;
        if (File.Exists(portFile) && int.TryParse(await File.ReadAllTextAsync(portFile, cancellationToken), out var remembered))
        {
            try
            {
                server = await EmbeddedPostgresServer.StartAsync(options with { Port = remembered }, cancellationToken);
            }
            catch (EmbeddedPostgresException)
            {
                // The remembered port is taken by something else now; take a new one.
                server = await EmbeddedPostgresServer.StartAsync(options, cancellationToken);
            }
        }
        else
        {
            server = await EmbeddedPostgresServer.StartAsync(options, cancellationToken);
        }

        await File.WriteAllTextAsync(portFile, server.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        return server;
    }

    /// <summary>Creates the catalog database when missing (<c>--create-database</c>, and always for the dev server).</summary>
    public Task<bool> EnsureDatabaseExistsAsync(CancellationToken cancellationToken) =>
        CatalogBootstrap.CreateDatabaseIfMissingAsync(Connection, cancellationToken);

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(Connection.ConnectionString);

    /// <summary>The running operator's pool: connections reused without a reset (<see cref="CatalogPool"/>).</summary>
    public NpgsqlDataSource CreateOperatorDataSource() => CatalogPool.Create(Connection.ConnectionString);

    public async ValueTask DisposeAsync()
    {
        if (_startedServer is not null)
        {
            await _startedServer.DisposeAsync();
        }
    }
}
