using ControlPlane.Store.Sql;
using Npgsql;

namespace ControlPlane.Store.Connection;

/// <summary>The catalog database itself, before any migration: created on its server when missing.</summary>
public static class CatalogBootstrap
{
    /// <summary>
    /// Creates the database <paramref name="catalog"/> names when its server has none of that name, through the server's
    /// <c>postgres</c> maintenance database. True when this call created it; false when it existed (or a concurrent
    /// creator won the race, which is the same outcome).
    /// </summary>
    public static async Task<bool> CreateDatabaseIfMissingAsync(NpgsqlConnectionStringBuilder catalog, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var maintenance = new NpgsqlConnectionStringBuilder(catalog.ConnectionString) { Database = "postgres", Pooling = false };
        await using var connection = new NpgsqlConnection(maintenance.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection)
        {
            Parameters = { new() { Value = catalog.Database } },
        };
        if (await exists.ExecuteScalarAsync(cancellationToken) is not null)
        {
            return false;
        }

        await using var create = new NpgsqlCommand($"CREATE DATABASE {SqlIdentifier.Quote(catalog.Database!)}", connection);
        try
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
        {
            return false;
        }

        return true;
    }
}
