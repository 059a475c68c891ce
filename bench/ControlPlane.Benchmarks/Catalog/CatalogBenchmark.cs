using System.Diagnostics;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using Npgsql;

namespace ControlPlane.Benchmarks.Catalog;

/// <summary>
/// `catalog`: seeds 100,000 tenants and 1,000,000 events, then compares TenantCatalog's lookup by slug and
/// recent-events read with the very same statements issued directly through Npgsql (target ratio ≤ 1.2),
/// and shows with EXPLAIN that both statements are index scans.
/// </summary>
internal sealed class CatalogBenchmark : IBenchmark
{
    private const int Warmup = 1_000;
    private const int Iterations = 10_000;
    private const int EventsPerPage = 20;
    private const double Target = 1.2;

    public string Name => "catalog";

    public string Description => "TenantCatalog vs direct Npgsql on 100k tenants / 1M events (p50/p99, ratio, EXPLAIN)";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("bench_catalog", cancellationToken);
        Console.WriteLine($"Database {database.Name} on {database.Where}");
        await using var dataSource = NpgsqlDataSource.Create(database.ConnectionString);

        var clock = Stopwatch.StartNew();
        await CatalogMigrator.MigrateAsync(dataSource, Path.Combine(AppContext.BaseDirectory, "sql", "control_plane"), _ => { }, cancellationToken);
        await SeedAsync(dataSource, cancellationToken);
        var (tenants, events) = await CountAsync(dataSource, cancellationToken);
        Console.WriteLine($"Seeded {tenants:N0} tenants and {events:N0} events in {clock.Elapsed.TotalSeconds:F1} s");

        var samples = await SampleAsync(dataSource, cancellationToken);
        var catalog = new TenantCatalog(dataSource);

        var bySlug = await LatencyComparison.MeasureAsync("lookup by slug", Warmup, Iterations,
            async i => _ = await catalog.FindBySlugAsync(samples[i % samples.Count].Slug, cancellationToken),
            i => DirectAsync(dataSource, CatalogSql.FindBySlug, cancellationToken, samples[i % samples.Count].Slug));
        var recentEvents = await LatencyComparison.MeasureAsync($"recent events (newest {EventsPerPage})", Warmup, Iterations,
            async i => _ = await catalog.GetEventsAsync(samples[i % samples.Count].Id, EventsPerPage, null, cancellationToken),
            i => DirectAsync(dataSource, CatalogSql.EventsFirst, prepared: true, cancellationToken, samples[i % samples.Count].Id, EventsPerPage));

        Console.WriteLine();
        Console.WriteLine($"{Iterations:N0} calls each, interleaved, after {Warmup:N0} warm-up calls; target ratio ≤ {Target} at p50");
        Console.WriteLine(LatencyComparison.Header("cat", "npgsql"));
        Console.WriteLine(bySlug.Format(Target));
        Console.WriteLine(recentEvents.Format(Target));

        Console.WriteLine();
        var slugPlan = await ExplainAsync(dataSource, CatalogSql.FindBySlug, cancellationToken, samples[0].Slug);
        var eventsPlan = await ExplainAsync(dataSource, CatalogSql.EventsFirst, cancellationToken, samples[0].Id, EventsPerPage);
        var indexed = PrintPlan("lookup by slug", slugPlan) & PrintPlan("recent events", eventsPlan);

        var met = bySlug.RatioP50 <= Target && recentEvents.RatioP50 <= Target && indexed;
        Console.WriteLine(met ? "Result: within target, both statements use indexes." : "Result: target missed (see above).");
        return met ? 0 : 1;
    }

    private static async Task SeedAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var replica = new NpgsqlCommand("SET session_replication_role = replica", connection);
            await replica.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            Console.WriteLine("Not a superuser: seeding with triggers and FK checks on (slower).");
        }

        var seed = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Catalog", "seed.sql"), cancellationToken);
        await using var command = new NpgsqlCommand(seed, connection) { CommandTimeout = 600 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<(long Tenants, long Events)> CountAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT (SELECT count(*) FROM control_plane.tenants), (SELECT count(*) FROM control_plane.tenant_events)");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>1,000 random live tenants; lookups use the slug in upper case half the time to exercise lower().</summary>
    private static async Task<List<(string Slug, Guid Id)>> SampleAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT slug, id FROM control_plane.tenants WHERE deleted_at IS NULL ORDER BY random() LIMIT 1000");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var samples = new List<(string, Guid)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var slug = reader.GetString(0);
            samples.Add((samples.Count % 2 == 0 ? slug : slug.ToUpperInvariant(), reader.GetGuid(1)));
        }

        return samples;
    }

    /// <summary>The baseline: the same statement text, parameters and rows, every column read, no mapping.</summary>
    internal static Task DirectAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object[] values) =>
        DirectAsync(dataSource, sql, prepared: false, cancellationToken, values);

    /// <summary>
    /// <see cref="DirectAsync(NpgsqlDataSource, string, CancellationToken, object[])"/>, prepared when the catalog prepares
    /// the statement too (its event lookups), so the comparison stays the catalog's own cost.
    /// </summary>
    internal static async Task DirectAsync(NpgsqlDataSource dataSource, string sql, bool prepared, CancellationToken cancellationToken, params object[] values)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        if (prepared)
        {
            await command.PrepareAsync(cancellationToken);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            for (var column = 0; column < reader.FieldCount; column++)
            {
                _ = reader.IsDBNull(column) ? null : reader.GetValue(column);
            }
        }
    }

    private static async Task<List<string>> ExplainAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var command = dataSource.CreateCommand("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) " + sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var lines = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            lines.Add(reader.GetString(0));
        }

        return lines;
    }

    private static bool PrintPlan(string title, List<string> plan)
    {
        var indexed = plan.Any(l => l.Contains("Index Scan", StringComparison.Ordinal) || l.Contains("Index Only Scan", StringComparison.Ordinal));
        Console.WriteLine($"EXPLAIN ANALYZE {title} (same statement for TenantCatalog and direct): {(indexed ? "index scan" : "NO INDEX SCAN")}");
        foreach (var line in plan)
        {
            Console.WriteLine("    " + line);
        }

        return indexed;
    }
}
