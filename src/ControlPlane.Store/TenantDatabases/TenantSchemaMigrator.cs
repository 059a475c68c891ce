using System.Text.RegularExpressions;
using EvolveDb;
using EvolveDb.Migration;
using Npgsql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Brings one tenant database to a schema version with Evolve, in a session of the tenant's owner role so every
/// object belongs to it (ADR-CP-008). Only forward: asking for an older version than applied is refused.
/// </summary>
public sealed partial class TenantSchemaMigrator
{
    /// <summary>Evolve's bookkeeping inside each tenant database.</summary>
    public const string MetadataTable = "econt_schema_changelog";

    /// <summary>Extensions the tenant schema relies on (gen_random_uuid).</summary>
    public static readonly IReadOnlyList<string> RequiredExtensions = ["pgcrypto"];

    private readonly string _scriptsDirectory;

    public TenantSchemaMigrator(string scriptsDirectory)
    {
        if (!Directory.Exists(scriptsDirectory))
        {
            throw new DirectoryNotFoundException($"The tenant migrations folder {scriptsDirectory} does not exist.");
        }

        _scriptsDirectory = scriptsDirectory;
        AvailableVersions = Directory.EnumerateFiles(scriptsDirectory, "V*__*.sql", SearchOption.AllDirectories)
            .Select(path => VersionInFileName().Match(Path.GetFileName(path)))
            .Where(match => match.Success)
            .Select(match => SchemaVersion.Parse(match.Groups["version"].Value))
            .Order()
            .ToList();
        if (AvailableVersions.Count == 0)
        {
            throw new DirectoryNotFoundException($"The tenant migrations folder {scriptsDirectory} holds no V<version>__<name>.sql file.");
        }
    }

    public IReadOnlyList<SchemaVersion> AvailableVersions { get; }

    public SchemaVersion LatestVersion => AvailableVersions[^1];

    /// <summary>Checks a requested version against what ships; null means the newest.</summary>
    public SchemaVersion ResolveTarget(string? requested)
    {
        if (requested is null)
        {
            return LatestVersion;
        }

        if (!SchemaVersion.TryParse(requested, out var version) || !AvailableVersions.Contains(version))
        {
            throw new SchemaMigrationException(
                SchemaMigrationFailureKind.UnknownVersion,
                $"Schema version '{requested}' does not exist; available: {string.Join(", ", AvailableVersions)}.");
        }

        return version;
    }

    /// <summary>The version applied in a tenant database, or null when none is.</summary>
    public static async Task<SchemaVersion?> CurrentVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = new NpgsqlCommand(
            $"SELECT pg_catalog.to_regclass('public.{MetadataTable}') IS NOT NULL", connection);
        if (!(bool)(await command.ExecuteScalarAsync(cancellationToken))!)
        {
            return null;
        }

        command.CommandText = $"SELECT version FROM public.{MetadataTable} WHERE success AND type = 0 AND version IS NOT NULL";
        var versions = new List<SchemaVersion>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            if (SchemaVersion.TryParse(reader.GetString(0), out var version))
            {
                versions.Add(version);
            }
        }

        return versions.Count == 0 ? null : versions.Max();
    }

    /// <summary>
    /// Migrates the tenant database of <paramref name="connection"/> to <paramref name="target"/>. The connection must be a
    /// session logged in as the tenant's owner role (see <see cref="TenantDatabaseAdministrator.MigrateAsync"/>), never
    /// the admin's: tenant-owned triggers and functions can fire here, and they must find nothing but the tenant's rights.
    /// </summary>
    public async Task<SchemaMigrationOutcome> MigrateAsync(NpgsqlConnection connection, SchemaVersion target, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(target);
        await EnsureExtensionsAsync(connection, cancellationToken);
        var current = await CurrentVersionAsync(connection, cancellationToken);
        if (current is not null && current > target)
        {
            throw new SchemaMigrationException(
                SchemaMigrationFailureKind.DowngradeRefused,
                $"The database is at schema version {current}; going back to {target} is refused (there are no down-migrations).");
        }

        if (current == target)
        {
            return new SchemaMigrationOutcome(current, target, 0);
        }

        var evolve = new Evolve(connection, _ => { })
        {
            Locations = [_scriptsDirectory],
            MetadataTableSchema = "public",
            MetadataTableName = MetadataTable,
            TargetVersion = new MigrationVersion(target.ToString()),
            IsEraseDisabled = true,
        };
        try
        {
            // Evolve is synchronous (blocking Npgsql I/O for the whole migration). On the thread pool, a few migrations
            // in parallel hold every worker thread of a 2-core pod (the pool starts with one per core and adds more only
            // slowly), starving lease renewals, watches and timers; a dedicated thread keeps the pool free.
            await Task.Factory.StartNew(evolve.Migrate, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }
        catch (EvolveException e)
        {
            throw new SchemaMigrationException(
                SchemaMigrationFailureKind.Failed,
                $"Migrating from {current?.ToString() ?? "an empty database"} to {target} failed: {Innermost(e).Message}", e);
        }

        return new SchemaMigrationOutcome(current, target, evolve.NbMigration);
    }

    private static async Task EnsureExtensionsAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        foreach (var extension in RequiredExtensions)
        {
            // Checked first so a converged tenant runs no DDL; pgcrypto is a trusted extension, so the owner may create it.
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_catalog.pg_extension WHERE extname = $1", connection)
            {
                Parameters = { new() { Value = extension } },
            };
            if (await exists.ExecuteScalarAsync(cancellationToken) is null)
            {
                await using var create = new NpgsqlCommand($"CREATE EXTENSION IF NOT EXISTS {Sql.SqlIdentifier.Quote(extension)}", connection);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
        }
    }

    private static Exception Innermost(Exception e) => e.InnerException is null ? e : Innermost(e.InnerException);

    [GeneratedRegex(@"^V(?<version>[0-9]+(?:[._][0-9]+)*)__.+\.sql$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionInFileName();
}
