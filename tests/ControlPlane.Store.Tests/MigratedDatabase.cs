using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

/// <summary>
/// A fresh, fully migrated catalog database for one test, copied from the template <see cref="CatalogTemplate"/>
/// migrates once per test run.
/// </summary>
internal sealed class MigratedDatabase : IAsyncDisposable
{
    private MigratedDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
        Catalog = new TenantCatalog(DataSource);
    }

    public static string ScriptsDirectory => CatalogTemplate.ScriptsDirectory;

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public TenantCatalog Catalog { get; }

    public static async Task<MigratedDatabase> CreateAsync(PostgresFixture postgres) =>
        new(await CatalogTemplate.CreateDatabaseAsync(postgres, TestContext.Current.CancellationToken));

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
}
