using Npgsql;

namespace ControlPlane.Store.Health;

/// <summary>
/// Runs the catalog's operational health checks (specification §9), defined in SQL by
/// <c>sql/control_plane/R__health.sql</c> and read here through <c>control_plane.health_report(interval)</c>.
/// </summary>
public static class CatalogHealth
{
    public static readonly TimeSpan DefaultStuckAfter = TimeSpan.FromMinutes(15);

    /// <summary>Every check, in report order, with what it guards; the names match the SQL function's check_name.</summary>
    public static IReadOnlyList<(string Name, string Description)> Checks { get; } =
    [
        ("duplicate_slugs", "live tenants sharing a slug, ignoring case (must be 0)"),
        ("duplicate_db_names", "live tenants sharing a database name, ignoring case (must be 0)"),
        ("tenants_without_events", "tenants with no audit event"),
        ("stuck_provisioning", "live tenants provisioning for longer than the window"),
        ("schema_version_drift", "schema_version differs from the last migrated event's \"to\""),
        ("soft_delete_incoherent", "deleted_at set without status deleting/deleted, or deleted without deleted_at"),
    ];

    /// <summary>Runs all checks and reads the version distribution in one snapshot. Throws <see cref="NpgsqlException"/> when it cannot run.</summary>
    public static async Task<HealthReport> CheckAsync(NpgsqlDataSource dataSource, TimeSpan stuckAfter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfLessThan(stuckAfter, TimeSpan.Zero);
        // One snapshot for the checks and the version distribution, so the two parts of the report agree.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT check_name, tenant_id, slug, detail FROM control_plane.health_report($1)", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = stuckAfter });
        var offenders = new List<(string Check, HealthOffender Offender)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                offenders.Add((reader.GetString(0), new HealthOffender(reader.GetGuid(1), reader.GetString(2), reader.GetString(3))));
            }
        }

        var versions = await SchemaVersionsAsync(connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var results = Checks
            .Select(c => new HealthCheckResult(c.Name, c.Description, [.. offenders.Where(o => o.Check == c.Name).Select(o => o.Offender)]))
            .ToList();
        var unknown = offenders.Select(o => o.Check).Except(Checks.Select(c => c.Name)).ToList();
        if (unknown.Count > 0)
        {
            // The SQL grew a check this code does not know: report it rather than hide it.
            results.AddRange(unknown.Select(name =>
                new HealthCheckResult(name, "(check defined in SQL only)", [.. offenders.Where(o => o.Check == name).Select(o => o.Offender)])));
        }

        return new HealthReport(stuckAfter, results) { SchemaVersions = versions };
    }

    private static async Task<List<SchemaVersionCount>> SchemaVersionsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "SELECT schema_version, tenants, misaligned FROM control_plane.health_schema_versions()", connection, transaction);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var versions = new List<SchemaVersionCount>();
        while (await reader.ReadAsync(cancellationToken))
        {
            versions.Add(new SchemaVersionCount(reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)));
        }

        return versions;
    }
}
