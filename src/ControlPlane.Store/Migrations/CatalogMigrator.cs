using EvolveDb;
using Npgsql;

namespace ControlPlane.Store.Migrations;

/// <summary>
/// Applies the control-plane catalog migrations (<c>sql/control_plane</c>) with Evolve. The metadata
/// table lives inside <c>control_plane</c> so the catalog is self-describing and nothing leaks into <c>public</c>.
/// </summary>
public static class CatalogMigrator
{
    public const string Schema = "control_plane";
    public const string MetadataTable = "changelog";

    /// <summary>The longest one migration script may run.</summary>
    public const int MigrationTimeoutSeconds = 3600;

    public static async Task<MigrationReport> MigrateAsync(
        NpgsqlDataSource dataSource, string scriptsDirectory, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        if (!Directory.Exists(scriptsDirectory))
        {
            throw new DirectoryNotFoundException($"The catalog migrations folder {scriptsDirectory} does not exist.");
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var evolve = new Evolve(connection, log)
        {
            Locations = [scriptsDirectory],
            Schemas = [Schema],
            MetadataTableSchema = Schema,
            MetadataTableName = MetadataTable,
            IsEraseDisabled = true,
            // Evolve's default is 30 s per script; V17 converts every event row of a populated catalog (minutes at 10
            // million events, docs/catalog.md), and a migration cut short only rolls back to be retried.
            CommandTimeout = MigrationTimeoutSeconds,
        };

        // Evolve is synchronous; the command and the hosted start-up both own their thread here.
        await Task.Run(evolve.Migrate, cancellationToken);
        return new MigrationReport(evolve.NbMigration, await CurrentVersionAsync(connection, cancellationToken));
    }

    /// <summary>The newest successfully applied versioned migration, read from Evolve's metadata table.</summary>
    public static async Task<string?> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(
            $"SELECT version FROM {Schema}.{MetadataTable} WHERE success AND name LIKE 'V%' ORDER BY id DESC LIMIT 1", connection);
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }
}
