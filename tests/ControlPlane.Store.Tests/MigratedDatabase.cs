using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Sql;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

/// <summary>
/// A fresh, fully migrated catalog database for one test. The migrations run once per test run into a
/// template database (by the real <see cref="CatalogMigrator"/>); each test gets a copy made by
/// CREATE DATABASE … TEMPLATE, which is much faster than migrating again.
/// </summary>
internal sealed class MigratedDatabase : IAsyncDisposable
{
    private static readonly SemaphoreSlim TemplateGate = new(1, 1);
    private static string? _template;

    private MigratedDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
        Catalog = new TenantCatalog(DataSource);
    }

    public static string ScriptsDirectory => Path.Combine(AppContext.BaseDirectory, "sql", "control_plane");

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public TenantCatalog Catalog { get; }

    public static async Task<MigratedDatabase> CreateAsync(PostgresFixture postgres)
    {
        var template = await TemplateAsync(postgres);
        return new MigratedDatabase(await postgres.CreateDatabaseAsync(template, TestContext.Current.CancellationToken));
    }

    public async Task<int> ExecuteAsync(string sql, params object?[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object?[] values)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    /// <summary>Inserts a tenant around the catalog API (no events), the way a hand edit or an import would.</summary>
    public Task<Guid> InsertRawTenantAsync(string slug, string dbName, string secretRef = "mock:raw") =>
        ScalarAsync<Guid>(
            """
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref)
            VALUES ($1, $1, $2, 'db.internal', 'app', $3) RETURNING id
            """,
            slug, dbName, secretRef);

    public Task<long> CountEventsAsync(Guid tenantId) =>
        ScalarAsync<long>("SELECT count(*) FROM control_plane.tenant_events WHERE tenant_id = $1", tenantId);

    public async ValueTask DisposeAsync() => await DataSource.DisposeAsync();

    private static async Task<string> TemplateAsync(PostgresFixture postgres)
    {
        await TemplateGate.WaitAsync(TestContext.Current.CancellationToken);
        try
        {
            if (_template is not null)
            {
                return _template;
            }

            var cancellationToken = TestContext.Current.CancellationToken;
            var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: cancellationToken);
            // No pooling: CREATE DATABASE … TEMPLATE fails while any session is connected to the template.
            var unpooled = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false };
            await using (var dataSource = NpgsqlDataSource.Create(unpooled.ConnectionString))
            {
                await CatalogMigrator.MigrateAsync(dataSource, ScriptsDirectory, _ => { }, cancellationToken);
            }

            var name = unpooled.Database!;
            // Nobody may connect to the template afterwards, so copies never race with a stray session.
            await using (var command = postgres.Admin.CreateCommand($"ALTER DATABASE {SqlIdentifier.Quote(name)} ALLOW_CONNECTIONS false"))
            {
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            _template = name;
            return name;
        }
        finally
        {
            TemplateGate.Release();
        }
    }
}
