using ControlPlane.Store.Migrations;
using ControlPlane.Store.Sql;
using Npgsql;

namespace ControlPlane.Testing;

/// <summary>
/// Fresh, fully migrated catalog databases for tests. The real <see cref="CatalogMigrator"/> runs once per test
/// process into a template database; each test gets a copy (CREATE DATABASE … TEMPLATE), much faster than migrating
/// again. The test project must copy <c>sql/**</c> beside its binaries.
/// </summary>
public static class CatalogTemplate
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _template;

    public static string ScriptsDirectory => Path.Combine(AppContext.BaseDirectory, "sql", "control_plane");

    /// <summary>A new migrated catalog database; returns a superuser connection string to it.</summary>
    public static async Task<string> CreateDatabaseAsync(PostgresFixture postgres, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(postgres);
        return await postgres.CreateDatabaseAsync(await TemplateAsync(postgres, cancellationToken), cancellationToken);
    }

    private static async Task<string> TemplateAsync(PostgresFixture postgres, CancellationToken cancellationToken)
    {
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_template is not null)
            {
                return _template;
            }

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
            Gate.Release();
        }
    }
}
