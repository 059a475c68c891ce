using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.Benchmarks.Events;

/// <summary>
/// `events [N]`: N events (default 1,000,000; issue 18 asks for 10,000,000), 100 per tenant over the last 365 days,
/// loaded into the unpartitioned tenant_events of the previous release; an unpartitioned copy is kept as the baseline,
/// then V17 converts the table (timed). Compares, interleaved in the same run, the recent-events lookups and the event
/// insert on the partitioned table against the same statements on the copy (target ratio ≤ 1.2 at p50), and shows with
/// EXPLAIN that the bounded lookup prunes partitions and scans an index.
/// </summary>
internal sealed partial class EventsBenchmark(long events) : IBenchmark
{
    public const long DefaultEvents = 1_000_000;
    private const int EventsPerTenant = 100;
    private const int Warmup = 500;
    private const int Iterations = 5_000;
    private const int Page = 20;
    private const double Target = 1.2;

    public string Name => "events";

    public string Description => "partitioned tenant_events vs an unpartitioned copy: lookups and inserts (N events, default 1M)";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var tenants = Math.Max(100, events / EventsPerTenant);
        await using var database = await BenchmarkDatabase.CreateAsync("bench_events", cancellationToken);
        Console.WriteLine($"Database {database.Name} on {database.Where}");
        // No command timeout: loading and converting 10 million events takes minutes.
        await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 0 }.ConnectionString);
        var scripts = Path.Combine(AppContext.BaseDirectory, "sql", "control_plane");

        var clock = Stopwatch.StartNew();
        await MigrateBeforePartitioningAsync(dataSource, scripts, cancellationToken);
        await RunScriptAsync(dataSource, "seed.sql", cancellationToken, ("@tenants", tenants), ("@per_tenant", events / tenants));
        await RunScriptAsync(dataSource, "baseline.sql", cancellationToken);
        Console.WriteLine($"Seeded {tenants:N0} tenants and {events / tenants * tenants:N0} events (and the unpartitioned copy) in {clock.Elapsed.TotalSeconds:F1} s");

        clock.Restart();
        await CatalogMigrator.MigrateAsync(dataSource, scripts, _ => { }, cancellationToken);
        var conversion = clock.Elapsed;
        await ExecuteAsync(dataSource, "ANALYZE control_plane.tenant_events", cancellationToken);
        var partitions = await ScalarAsync<long>(dataSource, "SELECT count(*) FROM pg_inherits WHERE inhparent = 'control_plane.tenant_events'::regclass", cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"V17 converted {events / tenants * tenants:N0} events into {partitions} partitions in {conversion.TotalSeconds:F1} s ({events / conversion.TotalSeconds:N0} rows/s), tenant_events locked meanwhile"));

        var samples = await SampleAsync(dataSource, cancellationToken);
        var since = DateTimeOffset.UtcNow.AddDays(-30);
        var recent = await LatencyComparison.MeasureAsync($"recent events (30 days, {Page})", Warmup, Iterations,
            i => QueryAsync(dataSource, CatalogSql.RecentEvents, cancellationToken, samples[i % samples.Count], since, Page),
            i => QueryAsync(dataSource, Flat(CatalogSql.RecentEvents), cancellationToken, samples[i % samples.Count], since, Page));
        var newest = await LatencyComparison.MeasureAsync($"newest events ({Page}, no bound)", Warmup, Iterations,
            i => QueryAsync(dataSource, CatalogSql.EventsFirst, cancellationToken, samples[i % samples.Count], Page),
            i => QueryAsync(dataSource, Flat(CatalogSql.EventsFirst), cancellationToken, samples[i % samples.Count], Page));
        var payload = new JsonObject { ["bench"] = true }.ToJsonString();
        var insert = await LatencyComparison.MeasureAsync("insert one event", Warmup, Iterations,
            i => InsertAsync(dataSource, CatalogSql.InsertEvent, samples[i % samples.Count], payload, cancellationToken),
            i => InsertAsync(dataSource, Flat(CatalogSql.InsertEvent), samples[i % samples.Count], payload, cancellationToken));

        Console.WriteLine();
        Console.WriteLine($"{Iterations:N0} calls each, interleaved, after {Warmup:N0} warm-up calls; target ratio ≤ {Target} at p50");
        Console.WriteLine(LatencyComparison.Header("part", "flat"));
        Console.WriteLine(recent.Format(Target));
        Console.WriteLine(newest.Format(Target));
        Console.WriteLine(insert.Format(Target));

        Console.WriteLine();
        var plan = await ExplainAsync(dataSource, CatalogSql.RecentEvents, cancellationToken, samples[0], since, Page);
        var scanned = plan.Count(l => l.Contains("Index Scan using", StringComparison.Ordinal) || l.Contains("Index Only Scan using", StringComparison.Ordinal));
        var pruned = scanned > 0 && scanned < partitions && !plan.Any(l => l.Contains("Seq Scan", StringComparison.Ordinal));
        Console.WriteLine($"EXPLAIN ANALYZE recent events (partitioned): {scanned} of {partitions} partitions index-scanned, {(pruned ? "pruned" : "NOT PRUNED")}");
        foreach (var line in plan)
        {
            Console.WriteLine("    " + line);
        }

        var met = recent.RatioP50 <= Target && insert.RatioP50 <= Target && pruned;
        Console.WriteLine(met
            ? "Result: bounded lookups and inserts within target, lookups pruned and index-scanned."
            : "Result: target missed (see above).");
        return met ? 0 : 1;
    }

    /// <summary>The same statement on the unpartitioned copy.</summary>
    private static string Flat(string sql) => TenantEvents().Replace(sql, "control_plane.tenant_events_flat");

    /// <summary>The catalog as the previous release left it: every versioned script before V17 (R__health.sql is not needed here).</summary>
    private static async Task MigrateBeforePartitioningAsync(NpgsqlDataSource dataSource, string scripts, CancellationToken cancellationToken)
    {
        var previous = Directory.CreateTempSubdirectory("econt-bench-before-v17-");
        try
        {
            foreach (var script in Directory.EnumerateFiles(scripts, "V*__*.sql"))
            {
                var name = Path.GetFileName(script);
                var version = name[1..name.IndexOf("__", StringComparison.Ordinal)].Replace('_', '.');
                if (CatalogVersion.IsBehind(version, "17"))
                {
                    File.Copy(script, Path.Combine(previous.FullName, name));
                }
            }

            await CatalogMigrator.MigrateAsync(dataSource, previous.FullName, _ => { }, cancellationToken);
        }
        finally
        {
            previous.Delete(recursive: true);
        }
    }

    private static async Task RunScriptAsync(NpgsqlDataSource dataSource, string file, CancellationToken cancellationToken, params (string Name, long Value)[] values)
    {
        var sql = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Events", file), cancellationToken);
        foreach (var (name, value) in values)
        {
            sql = sql.Replace(name, value.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var replica = new NpgsqlCommand("SET session_replication_role = replica", connection);
            await replica.ExecuteNonQueryAsync(cancellationToken);
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            Console.WriteLine("Not a superuser: loading with FK checks on (slower).");
        }

        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<List<Guid>> SampleAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM control_plane.tenants ORDER BY random() LIMIT 1000");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private static Task QueryAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object[] values) =>
        Catalog.CatalogBenchmark.DirectAsync(dataSource, sql, cancellationToken, values);

    private static async Task InsertAsync(NpgsqlDataSource dataSource, string sql, Guid tenant, string payload, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = EventTypes.StatusChanged });
        command.Parameters.Add(new NpgsqlParameter { Value = "bench" });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = payload });
        await command.ExecuteNonQueryAsync(cancellationToken);
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

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    [GeneratedRegex(@"control_plane\.tenant_events\b")]
    private static partial Regex TenantEvents();
}
