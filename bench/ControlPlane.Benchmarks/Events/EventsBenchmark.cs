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
/// `events [N]`: N events (default 1,000,000; issue 18 asks for 10,000,000), 100 per tenant (active tenants over the
/// last 365 days, every 10th tenant dormant: all its events 7-12 months ago), loaded into the unpartitioned
/// tenant_events of the previous release; an unpartitioned copy is kept as the baseline, then V17 converts the table
/// (timed). Compares, interleaved in the same run, the catalog's event lookups (through <see cref="TenantCatalog"/>
/// itself on the partitioned table, the same statements by the same code path on the copy) and the event insert,
/// prints the planning time that made unprepared lookups slow, and shows with EXPLAIN that the bounded lookup prunes
/// partitions and scans an index. Issue 18's targets (ratio ≤ 1.2 at p50) hold the recent-events lookup and the insert;
/// the unbounded newest-first reads are reported beside them: they name no month, so nothing can be pruned, and in
/// PostgreSQL 17 each execution locks every partition and starts an index scan on each (docs/catalog.md, "Lookups").
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
        // The operator's catalog pool (no reset on close); no command timeout: loading 10 million events takes minutes.
        await using var dataSource = CatalogPool.Create(new NpgsqlConnectionStringBuilder(database.ConnectionString) { CommandTimeout = 0 }.ConnectionString);
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

        var active = await SampleAsync(dataSource, dormant: false, cancellationToken);
        var dormant = await SampleAsync(dataSource, dormant: true, cancellationToken);
        var catalog = new TenantCatalog(dataSource);
        // "The last 30 days", as a caller asks for them: up to its now, which prunes the months created ahead too.
        var until = DateTimeOffset.UtcNow;
        var since = until.AddDays(-30);
        // Candidate: the Store's own methods. Baseline: the same statement text on the copy, by the same internal code
        // path the Store uses (a prepared statement on a pooled connection, rows read into TenantEvent).
        var recent = await LatencyComparison.MeasureAsync($"recent events (30 days, {Page})", Warmup, Iterations,
            async i => _ = await catalog.GetRecentEventsAsync(active[i % active.Count], since, until, Page, cancellationToken),
            i => PreparedAsync(dataSource, Flat(CatalogSql.RecentEvents), cancellationToken, active[i % active.Count], since, until, Page));
        var newest = await LatencyComparison.MeasureAsync($"newest {Page} (no bound)", Warmup, Iterations,
            async i => _ = await catalog.GetEventsAsync(active[i % active.Count], Page, null, cancellationToken),
            i => PreparedAsync(dataSource, Flat(CatalogSql.EventsFirst), cancellationToken, active[i % active.Count], Page));
        var latest = await LatencyComparison.MeasureAsync("newest 1 (no bound)", Warmup, Iterations,
            async i => _ = await catalog.GetEventsAsync(active[i % active.Count], 1, null, cancellationToken),
            i => PreparedAsync(dataSource, Flat(CatalogSql.EventsFirst), cancellationToken, active[i % active.Count], 1));
        var asleep = await LatencyComparison.MeasureAsync($"newest {Page}, dormant tenant", Warmup, Iterations,
            async i => _ = await catalog.GetEventsAsync(dormant[i % dormant.Count], Page, null, cancellationToken),
            i => PreparedAsync(dataSource, Flat(CatalogSql.EventsFirst), cancellationToken, dormant[i % dormant.Count], Page));
        var payload = new JsonObject { ["bench"] = true }.ToJsonString();
        var insert = await LatencyComparison.MeasureAsync("insert one event", Warmup, Iterations,
            i => InsertAsync(dataSource, CatalogSql.InsertEvent, active[i % active.Count], payload, cancellationToken),
            i => InsertAsync(dataSource, Flat(CatalogSql.InsertEvent), active[i % active.Count], payload, cancellationToken));
        // The previous release's way: every lookup parsed and planned anew (kept for the record, not a target).
        var unprepared = await LatencyComparison.MeasureAsync("recent events, unprepared", Warmup, Iterations,
            i => QueryAsync(dataSource, CatalogSql.RecentEvents, cancellationToken, active[i % active.Count], since, until, Page),
            i => QueryAsync(dataSource, Flat(CatalogSql.RecentEvents), cancellationToken, active[i % active.Count], since, until, Page));

        Console.WriteLine();
        Console.WriteLine($"{Iterations:N0} calls each, interleaved, after {Warmup:N0} warm-up calls; target ratio ≤ {Target} at p50; load average {LoadAverage()}");
        Console.WriteLine(LatencyComparison.Header("part", "flat"));
        // Records compare by value: each row carries its target rather than being recognised by equality.
        foreach (var (row, target) in new[]
                 {
                     (recent, Target), (newest, LatencyComparison.NoTarget), (latest, LatencyComparison.NoTarget),
                     (asleep, LatencyComparison.NoTarget), (insert, Target), (unprepared, LatencyComparison.NoTarget),
                 })
        {
            Console.WriteLine(row.Format(target));
        }

        Console.WriteLine();
        Console.WriteLine("Server-side planning and execution, median of 200 EXPLAIN (ANALYZE, BUFFERS) each, part / flat (ms):");
        foreach (var (label, sql, values) in new (string, string, Func<int, object[]>)[]
                 {
                     ($"recent events (30 days, {Page})", CatalogSql.RecentEvents, i => [active[i % active.Count], since, until, Page]),
                     ($"newest {Page}", CatalogSql.EventsFirst, i => [active[i % active.Count], Page]),
                     ($"newest {Page}, dormant", CatalogSql.EventsFirst, i => [dormant[i % dormant.Count], Page]),
                 })
        {
            var part = await PlanTimesAsync(dataSource, sql, values, cancellationToken);
            var flat = await PlanTimesAsync(dataSource, Flat(sql), values, cancellationToken);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {label,-28} planning {part.Planning:F3} / {flat.Planning:F3}, execution {part.Execution:F3} / {flat.Execution:F3}, buffers {part.Buffers:F0} / {flat.Buffers:F0}"));
        }

        Console.WriteLine();
        // The plans the Store runs: prepared statements, once PostgreSQL settled on a plan after its first custom ones.
        string[] recentValues = [Literal(active[0]), Literal(since), Literal(until), Page.ToString(CultureInfo.InvariantCulture)];
        string[] newestValues = [Literal(active[0]), "1"];
        var recentPlan = await PreparedPlanAsync(dataSource, CatalogSql.RecentEvents, recentValues, cancellationToken);
        var scanned = recentPlan.Plan.Count(l => l.Contains("Index Scan using", StringComparison.Ordinal) || l.Contains("Index Only Scan using", StringComparison.Ordinal));
        var removed = recentPlan.Plan.Select(l => SubplansRemoved().Match(l)).Where(m => m.Success).Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        var pruned = scanned > 0 && scanned < partitions && scanned + removed == partitions && !recentPlan.Plan.Any(l => l.Contains("Seq Scan", StringComparison.Ordinal));
        Console.WriteLine($"EXPLAIN ANALYZE EXECUTE recent events (prepared, {recentPlan.Mode} plan): {scanned} of {partitions} partitions index-scanned, {removed} pruned at executor start: {(pruned ? "pruned" : "NOT PRUNED")}");
        foreach (var line in recentPlan.Plan)
        {
            Console.WriteLine("    " + line);
        }

        // What a prepared lookup still pays per partition: the plan locks every partition it holds (PostgreSQL 17 locks
        // them all before pruning at executor start) and every index it opens; past 16 locks a session leaves the fast path.
        var recentFlat = await PreparedPlanAsync(dataSource, Flat(CatalogSql.RecentEvents), recentValues, cancellationToken);
        var newestPart = await PreparedPlanAsync(dataSource, CatalogSql.EventsFirst, newestValues, cancellationToken);
        var newestFlat = await PreparedPlanAsync(dataSource, Flat(CatalogSql.EventsFirst), newestValues, cancellationToken);
        Console.WriteLine($"relation locks per prepared lookup, part / flat (of which outside the fast path): recent events {recentPlan.Locks} ({recentPlan.SlowLocks}) / {recentFlat.Locks} ({recentFlat.SlowLocks}); newest 1 {newestPart.Locks} ({newestPart.SlowLocks}) / {newestFlat.Locks} ({newestFlat.SlowLocks})");

        var met = new[] { recent, insert }.All(r => r.RatioP50 <= Target) && pruned;
        Console.WriteLine(met
            ? "Result: recent-events lookups and inserts within target, the bounded lookup pruned and index-scanned; unbounded newest-first reads reported."
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

    private static async Task<List<Guid>> SampleAsync(NpgsqlDataSource dataSource, bool dormant, CancellationToken cancellationToken)
    {
        // The seed's numbering: every 10th tenant by id is dormant.
        await using var command = dataSource.CreateCommand($"""
            SELECT id FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM control_plane.tenants) t
             WHERE (n % 10 = 0) = {(dormant ? "true" : "false")}
             ORDER BY random() LIMIT 1000
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    /// <summary>What <see cref="TenantCatalog"/> does for an event lookup, on any statement text.</summary>
    private static async Task PreparedAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object[] values)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        _ = await CatalogCommands.PreparedListAsync(connection, sql, CatalogRows.ReadEvent, cancellationToken, values);
    }

    /// <summary>Medians of planning time, execution time (ms) and shared buffers touched, over 200 one-shot plans.</summary>
    private static async Task<(double Planning, double Execution, double Buffers)> PlanTimesAsync(
        NpgsqlDataSource dataSource, string sql, Func<int, object[]> values, CancellationToken cancellationToken)
    {
        var planning = new List<double>();
        var execution = new List<double>();
        var buffers = new List<double>();
        for (var i = 0; i < 200; i++)
        {
            await using var command = dataSource.CreateCommand("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql);
            foreach (var value in values(i))
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            var json = JsonNode.Parse((string)(await command.ExecuteScalarAsync(cancellationToken))!)![0]!;
            planning.Add(json["Planning Time"]!.GetValue<double>());
            execution.Add(json["Execution Time"]!.GetValue<double>());
            var top = json["Plan"]!;
            buffers.Add(top["Shared Hit Blocks"]!.GetValue<double>() + top["Shared Read Blocks"]!.GetValue<double>());
        }

        static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);
        return (Median(planning), Median(execution), Median(buffers));
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private static Task QueryAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken, params object[] values) =>
        Catalog.CatalogBenchmark.DirectAsync(dataSource, sql, cancellationToken, values);

    private static async Task InsertAsync(NpgsqlDataSource dataSource, string sql, Guid tenant, string payload, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = tenant });
        command.Parameters.Add(new NpgsqlParameter { Value = CatalogEventType.StatusChanged.ToWire() });
        command.Parameters.Add(new NpgsqlParameter { Value = "bench" });
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = payload });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// On one session: the statement prepared by name and run 6 times (PostgreSQL's custom plans come first, then it
    /// chooses), its plan as EXPLAIN ANALYZE EXECUTE shows it, and the relation locks one execution holds.
    /// <paramref name="values"/> are SQL literals (EXECUTE takes no bound parameters); the statement is deallocated after.
    /// </summary>
    private static async Task<(string Mode, List<string> Plan, int Locks, int SlowLocks)> PreparedPlanAsync(
        NpgsqlDataSource dataSource, string sql, string[] values, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var execute = $"EXECUTE bench_lookup({string.Join(", ", values)})";
        await RunAsync($"PREPARE bench_lookup AS {sql}");
        try
        {
            for (var i = 0; i < 6; i++)
            {
                await RunAsync(execute);
            }

            var plan = await LinesAsync($"EXPLAIN (ANALYZE, COSTS OFF, SUMMARY OFF) {execute}");
            var mode = (await LinesAsync("SELECT CASE WHEN generic_plans > 0 THEN 'generic' ELSE 'custom' END FROM pg_prepared_statements WHERE name = 'bench_lookup'"))[0];
            await RunAsync("BEGIN");
            await RunAsync(execute);
            var locks = await LinesAsync("SELECT count(*) || ' ' || count(*) FILTER (WHERE NOT fastpath) FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation' AND relation <> 'pg_locks'::regclass");
            await RunAsync("COMMIT");
            var counts = locks[0].Split(' ');
            return (mode, plan, int.Parse(counts[0], CultureInfo.InvariantCulture), int.Parse(counts[1], CultureInfo.InvariantCulture));
        }
        finally
        {
            await RunAsync("DEALLOCATE bench_lookup");
        }

        async Task RunAsync(string statement)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        async Task<List<string>> LinesAsync(string statement)
        {
            await using var command = new NpgsqlCommand(statement, connection);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var lines = new List<string>();
            while (await reader.ReadAsync(cancellationToken))
            {
                lines.Add(reader.GetString(0));
            }

            return lines;
        }
    }

    private static string Literal(Guid value) => $"'{value}'::uuid";

    private static string Literal(DateTimeOffset value) => string.Create(CultureInfo.InvariantCulture, $"'{value.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff}+00'::timestamptz");

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

    [GeneratedRegex(@"Subplans Removed: (\d+)")]
    private static partial Regex SubplansRemoved();
}
