using ControlPlane.Store.Catalog;
using ControlPlane.Store.Events;
using ControlPlane.Store.Migrations;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

/// <summary>
/// tenant_events partitioned by month (V17): the conversion of a populated table, the foreign key, partitions ahead,
/// retention and partition pruning, all against a real PostgreSQL 17. Months are counted from the month the test runs
/// in (<see cref="ThisMonth"/>), so nothing depends on the calendar.
/// </summary>
public sealed class EventPartitionTests(PostgresFixture postgres)
{
    private const string Checksum = """
        SELECT count(*) || ' rows, md5 ' || coalesce(md5(string_agg(e::text, '|' ORDER BY e.id, e.created_at)), '-')
          FROM (SELECT id, tenant_id, event_type, actor, payload, created_at FROM control_plane.tenant_events) e
        """;

    // A window no seeded tenant reaches, so stuck_provisioning (whose detail carries now()) never fires.
    private const string HealthLines = """
        SELECT coalesce(string_agg(check_name || ' ' || slug || ': ' || detail, E'\n' ORDER BY check_name, slug), '')
          FROM control_plane.health_report('100 years')
        """;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset ThisMonth
    {
        get
        {
            var now = DateTimeOffset.UtcNow;
            return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task Converting_a_populated_table_keeps_every_row_once_and_every_health_finding()
    {
        var connectionString = await postgres.CreateDatabaseAsync(cancellationToken: Ct);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        // The catalog as the previous release left it: every script before V17, and R__health.sql as it was then.
        var previous = Directory.CreateTempSubdirectory("econt-before-v17-");
        try
        {
            foreach (var script in Directory.EnumerateFiles(MigratedDatabase.ScriptsDirectory, "*.sql"))
            {
                var name = Path.GetFileName(script);
                var text = await File.ReadAllTextAsync(script, Ct);
                if (name == "R__health.sql")
                {
                    text = string.Join('\n', text.Split('\n').Where(line => !line.Contains("V17", StringComparison.Ordinal)));
                }

                if (CatalogVersion.IsBehind(VersionOf(name), "17"))
                {
                    await File.WriteAllTextAsync(Path.Combine(previous.FullName, name), text, Ct);
                }
            }

            await CatalogMigrator.MigrateAsync(dataSource, previous.FullName, _ => { }, Ct);
        }
        finally
        {
            previous.Delete(recursive: true);
        }

        Assert.Equal("r", await ScalarAsync<string>(dataSource, "SELECT relkind::text FROM pg_class WHERE oid = 'control_plane.tenant_events'::regclass"));
        // 40 tenants with events over the last 15 months (null payloads, rotations, migrations), one drifting schema
        // version and one tenant without events, so the health report has findings to keep.
        await ExecuteAsync(dataSource, """
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, schema_version)
            SELECT 't' || i, 'Tenant ' || i, 'tenant_t' || i, 'db.internal', 'app', 'mock:t' || i, CASE WHEN i % 2 = 0 THEN 'v' || i END
              FROM generate_series(1, 41) i;
            INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at)
            SELECT t.id, (ARRAY['provisioned', 'status_changed', 'error', 'profile_updated'])[1 + g % 4], 'operator',
                   CASE WHEN g % 5 = 0 THEN NULL ELSE jsonb_build_object('n', g, 'note', 'ünïcode ' || g) END,
                   now() - make_interval(days => g * 9, secs => g)
              FROM control_plane.tenants t, generate_series(1, 50) g
             WHERE t.slug <> 't41';
            INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at)
            SELECT t.id, 'migrated', 'operator', jsonb_build_object('from', NULL, 'to', t.schema_version), now() - interval '100 days'
              FROM control_plane.tenants t WHERE t.schema_version IS NOT NULL AND t.slug <> 't2';
            INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at)
            SELECT t.id, 'credentials_rotated', 'operator', jsonb_build_object('rotation', 'r1', 'scheduled', false, 'at', now()), now() - interval '200 days'
              FROM control_plane.tenants t WHERE t.slug IN ('t3', 't5');
            """);
        var before = await ScalarAsync<string>(dataSource, Checksum);
        var healthBefore = await ScalarAsync<string>(dataSource, HealthLines);

        await CatalogMigrator.MigrateAsync(dataSource, MigratedDatabase.ScriptsDirectory, _ => { }, Ct);

        Assert.StartsWith("2021 rows", before, StringComparison.Ordinal);
        Assert.Equal(before, await ScalarAsync<string>(dataSource, Checksum));
        Assert.Equal("p", await ScalarAsync<string>(dataSource, "SELECT relkind::text FROM pg_class WHERE oid = 'control_plane.tenant_events'::regclass"));
        // Every row sits in the partition of its own (UTC) month.
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, """
            SELECT count(*) FROM control_plane.tenant_events e JOIN pg_class c ON c.oid = e.tableoid
             WHERE c.relname <> 'tenant_events_' || to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY_MM')
            """));
        Assert.Contains("schema_version_drift t2", healthBefore, StringComparison.Ordinal);
        Assert.Contains("tenants_without_events t41", healthBefore, StringComparison.Ordinal);
        Assert.Equal(healthBefore, await ScalarAsync<string>(dataSource, HealthLines));
    }

    [Fact]
    public async Task An_event_of_an_unknown_tenant_is_refused_at_commit_in_any_partition()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var known = await db.InsertRawTenantAsync("acme", "tenant_acme");
        foreach (var at in (DateTimeOffset[])[ThisMonth.AddYears(-3), ThisMonth.AddDays(3), ThisMonth.AddMonths(2)])
        {
            await using var connection = await db.DataSource.OpenConnectionAsync(Ct);
            await using var transaction = await connection.BeginTransactionAsync(Ct);
            await InsertEventAsync(connection, known, "status_changed", at);
            await InsertEventAsync(connection, Guid.NewGuid(), "error", at);

            var refused = await Assert.ThrowsAsync<PostgresException>(() => transaction.CommitAsync(Ct));

            Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
            Assert.Equal("tenant_events_tenant_id_fkey", refused.ConstraintName);
        }

        Assert.Equal(0L, await db.CountEventsAsync(known));
    }

    [Fact]
    public async Task Partitions_exist_for_this_month_and_the_next_three_and_more_are_created_ahead_without_gaps()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        var partitions = new EventPartitions(db.DataSource);

        // The world, not the register: an event lands in each month up to three ahead, and not in the fourth.
        for (var month = 0; month <= 3; month++)
        {
            await db.ExecuteAsync("INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at) VALUES ($1, 'error', 'test', $2)",
                id, ThisMonth.AddMonths(month).AddDays(27));
        }

        var beyond = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at) VALUES ($1, 'error', 'test', $2)",
                id, ThisMonth.AddMonths(4)));
        Assert.Equal(PostgresErrorCodes.CheckViolation, beyond.SqlState);

        Assert.Empty(await partitions.CreateAheadAsync(DateTimeOffset.UtcNow, 3, Ct));
        var created = await partitions.CreateAheadAsync(ThisMonth.AddMonths(5).AddDays(20), 3, Ct);

        Assert.Equal(Enumerable.Range(4, 5).Select(m => $"tenant_events_{ThisMonth.AddMonths(m):yyyy_MM}"), created);
        Assert.Empty(await partitions.CreateAheadAsync(ThisMonth.AddMonths(5).AddDays(20), 3, Ct));
        var register = await partitions.ListAsync(Ct);
        Assert.Equal("tenant_events_archive", register[0].Name);
        Assert.All(register.Zip(register.Skip(1)), pair => Assert.Equal(pair.First.To, pair.Second.From));
        Assert.Equal(ThisMonth.AddMonths(9), register[^1].To);
        Assert.Equal(1L, await db.ScalarAsync<long>(
            "INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at) VALUES ($1, 'error', 'test', $2) RETURNING 1::bigint",
            id, ThisMonth.AddMonths(9).AddTicks(-1)));
    }

    [Fact]
    public async Task Retention_drops_only_months_older_than_configured_and_keeps_what_the_catalog_reads_as_state()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var partitions = new EventPartitions(db.DataSource);
        var at = ThisMonth.AddMonths(10).AddDays(9);
        await partitions.CreateAheadAsync(at, 3, Ct);
        var busy = await db.InsertRawTenantAsync("busy", "tenant_busy");
        var quiet = await db.InsertRawTenantAsync("quiet", "tenant_quiet");
        await db.ExecuteAsync("UPDATE control_plane.tenants SET schema_version = '2024.2' WHERE id = $1", quiet);
        for (var month = 0; month <= 10; month++)
        {
            await db.ExecuteAsync("INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at) VALUES ($1, 'status_changed', 'test', $2::jsonb, $3)",
                busy, $$"""{"month": {{month}}}""", ThisMonth.AddMonths(month).AddDays(1));
        }

        await db.ExecuteAsync("""
            INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at) VALUES
                ($1, 'credentials_rotated', 'test', '{"rotation": "r1", "scheduled": false, "at": "2026-01-01T00:00:00Z"}', $3),
                ($2, 'provisioned', 'test', NULL, $4),
                ($2, 'migrated', 'test', '{"from": null, "to": "2024.1"}', $4 + interval '1 hour'),
                ($2, 'migrated', 'test', '{"from": "2024.1", "to": "2024.2"}', $5)
            """, busy, quiet, ThisMonth.AddDays(2), ThisMonth.AddMonths(1).AddDays(3), ThisMonth.AddMonths(2).AddDays(3));
        var healthBefore = await db.ScalarAsync<string>(HealthLines);

        var changes = await partitions.RetireAsync(at, new EventRetention(6, TimeSpan.FromDays(7)), Ct);

        // All of months 0-3 is older than 6 months before `at` (month 10, day 10); month 4 is not, so it stays.
        Assert.Equal(Enumerable.Range(0, 4).Select(m => new EventPartitionChange(EventPartitionAction.Detached, MonthName(m))), changes);
        Assert.Equal(
            [
                "busy credentials_rotated 0", "busy status_changed 4", "busy status_changed 5", "busy status_changed 6", "busy status_changed 7",
                "busy status_changed 8", "busy status_changed 9", "busy status_changed 10", "quiet migrated 2",
            ],
            await EventsAsync(db));
        Assert.Equal(healthBefore, await db.ScalarAsync<string>(HealthLines));
        Assert.Equal("", healthBefore);
        Assert.Equal(new CredentialRotation("r1", false, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)),
            await db.Catalog.FindCredentialRotationAsync(busy, "r1", Ct));
        // Detached, not dropped: the grace period keeps every row of the month.
        Assert.Equal(2L, await db.ScalarAsync<long>($"SELECT count(*) FROM control_plane.{MonthName(0)}"));

        Assert.Empty(await partitions.RetireAsync(at.AddDays(7).AddTicks(-10), new EventRetention(6, TimeSpan.FromDays(7)), Ct));
        var dropped = await partitions.RetireAsync(at.AddDays(7), new EventRetention(6, TimeSpan.FromDays(7)), Ct);

        Assert.Equal(Enumerable.Range(0, 4).Select(m => new EventPartitionChange(EventPartitionAction.Dropped, MonthName(m))), dropped);
        Assert.Equal(0L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'control_plane'::regnamespace AND relname = ANY($1)",
            (object)Enumerable.Range(0, 4).Select(MonthName).ToArray()));
        Assert.Equal(9, (await EventsAsync(db)).Count);
    }

    [Fact]
    public async Task The_shortest_retention_never_touches_the_current_or_the_next_month()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var partitions = new EventPartitions(db.DataSource);
        var at = ThisMonth.AddMonths(6).AddDays(20);
        await partitions.CreateAheadAsync(at, 3, Ct);

        var changes = await partitions.RetireAsync(at, new EventRetention(1, TimeSpan.Zero), Ct);

        Assert.Equal(
            Enumerable.Range(0, 5).Select(m => new EventPartitionChange(EventPartitionAction.Detached, MonthName(m)))
                .Concat(Enumerable.Range(0, 5).Select(m => new EventPartitionChange(EventPartitionAction.Dropped, MonthName(m)))),
            changes);
        var attached = (await partitions.ListAsync(Ct)).Where(p => !p.Detached).Select(p => p.Name);
        Assert.Equal(["tenant_events_archive", MonthName(5), MonthName(6), MonthName(7), MonthName(8), MonthName(9)], attached);
        await Assert.ThrowsAsync<ArgumentException>(() => partitions.RetireAsync(at, new EventRetention(0, TimeSpan.Zero), Ct));
        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("SELECT control_plane.retire_event_partitions(now(), 0, interval '0')"));
        Assert.Equal(PostgresErrorCodes.InvalidParameterValue, refused.SqlState);
    }

    [Fact]
    public async Task Retention_drops_no_table_it_did_not_detach_itself()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var partitions = new EventPartitions(db.DataSource);
        var at = ThisMonth.AddMonths(4).AddDays(3);
        await partitions.CreateAheadAsync(at, 3, Ct);
        // Look-alikes nobody registered: an old month's name, and a table named like a month retention will retire.
        await db.ExecuteAsync("CREATE TABLE control_plane.tenant_events_2001_01 (precious text)");

        var changes = await partitions.RetireAsync(at, new EventRetention(2, TimeSpan.Zero), Ct);

        Assert.Equal(
            [
                new EventPartitionChange(EventPartitionAction.Detached, MonthName(0)), new EventPartitionChange(EventPartitionAction.Detached, MonthName(1)),
                new EventPartitionChange(EventPartitionAction.Dropped, MonthName(0)), new EventPartitionChange(EventPartitionAction.Dropped, MonthName(1)),
            ],
            changes);
        Assert.Equal(1L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM pg_class WHERE relnamespace = 'control_plane'::regnamespace AND relname = 'tenant_events_2001_01'"));
        Assert.Empty(await partitions.RetireAsync(at.AddYears(1), new EventRetention(1200, TimeSpan.Zero), Ct));
    }

    [Fact]
    public async Task A_recent_events_lookup_prunes_the_older_months_and_scans_an_index()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var partitions = new EventPartitions(db.DataSource);
        // Months 0-9 exist (this month and nine ahead), and 300 days of events fill every one of them.
        await partitions.CreateAheadAsync(ThisMonth.AddMonths(8), 1, Ct);
        await db.ExecuteAsync("""
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref)
            SELECT 't' || i, 't' || i, 'tenant_t' || i, 'db', 'app', 'mock:t' || i FROM generate_series(1, 300) i
            """);
        await db.ExecuteAsync("""
            INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at)
            SELECT t.id, 'status_changed', 'test', $1::timestamptz + make_interval(days => g * 4, hours => 1)
              FROM control_plane.tenants t, generate_series(0, 75) g
            """, ThisMonth);
        await db.ExecuteAsync("ANALYZE control_plane.tenant_events");
        var tenant = await db.ScalarAsync<Guid>("SELECT id FROM control_plane.tenants WHERE slug = 't7'");
        var (since, until) = (ThisMonth.AddMonths(5), ThisMonth.AddMonths(8));

        var plan = await PlanAsync(db, CatalogSql.RecentEvents, tenant, since, until, 20);
        var recent = await db.Catalog.GetRecentEventsAsync(tenant, since, until, 20, Ct);

        Assert.DoesNotContain("Seq Scan", plan, StringComparison.Ordinal);
        Assert.Contains("Index", plan, StringComparison.Ordinal);
        Assert.Contains(MonthName(5), plan, StringComparison.Ordinal);
        Assert.Contains(MonthName(7), plan, StringComparison.Ordinal);
        // Neither the older months nor the months after the window, which hold events here and are empty ahead of now.
        foreach (var outside in Enumerable.Range(0, 5).Concat([8, 9]).Select(MonthName).Append("tenant_events_archive"))
        {
            Assert.DoesNotContain(outside, plan, StringComparison.Ordinal);
        }

        Assert.Equal(20, recent.Count);
        Assert.All(recent, e => Assert.True(e.CreatedAt >= since && e.CreatedAt < until));
        Assert.Equal(recent.OrderByDescending(e => e.CreatedAt).Select(e => e.Id), recent.Select(e => e.Id));
        // The keyset pages of GetEventsAsync prune too: a page after a cursor skips the newer months.
        var cursor = recent[^1].Cursor;
        var page = await PlanAsync(db, CatalogSql.EventsAfter, tenant, 20, cursor.At, cursor.Id);
        Assert.True(cursor.At < ThisMonth.AddMonths(9), $"the 20th newest event ({cursor.At:O}) should be before month 9");
        Assert.DoesNotContain(MonthName(9), page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_recent_events_window_holds_its_start_and_not_its_end_and_refuses_an_empty_window()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        var (since, until) = (ThisMonth.AddDays(2), ThisMonth.AddDays(9));
        foreach (var (at, actor) in new[] { (since.AddTicks(-10), "before"), (since, "start"), (until.AddTicks(-10), "last"), (until, "end") })
        {
            await db.ExecuteAsync("""
                INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at) VALUES ($1, 'status_changed', $2, $3)
                """, id, actor, at);
        }

        var recent = await db.Catalog.GetRecentEventsAsync(id, since, until, 20, Ct);

        Assert.Equal(["last", "start"], recent.Select(e => e.Actor));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.Catalog.GetRecentEventsAsync(id, until, until, 20, Ct));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => db.Catalog.GetRecentEventsAsync(id, until, since, 20, Ct));
    }

    [Fact]
    public async Task A_second_record_of_one_rotation_is_refused_across_partitions_and_under_concurrency()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        const string Insert = """
            INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, payload, created_at)
            VALUES ($1, 'credentials_rotated', 'test', jsonb_build_object('rotation', $2::text), $3)
            """;
        await db.ExecuteAsync(Insert, id, "r1", ThisMonth.AddDays(1));

        var again = await Assert.ThrowsAsync<PostgresException>(() => db.ExecuteAsync(Insert, id, "r1", ThisMonth.AddMonths(2)));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, again.SqlState);
        Assert.Equal("tenant_events_credentials_rotated_once", again.ConstraintName);

        // Two writers of r2 at once: the second waits for the first and, once it commits, is refused.
        await using var first = await db.DataSource.OpenConnectionAsync(Ct);
        await using var firstTransaction = await first.BeginTransactionAsync(Ct);
        await using (var insert = new NpgsqlCommand(Insert, first, firstTransaction) { Parameters = { new() { Value = id }, new() { Value = "r2" }, new() { Value = ThisMonth.AddDays(2) } } })
        {
            await insert.ExecuteNonQueryAsync(Ct);
        }

        var second = db.ExecuteAsync(Insert, id, "r2", ThisMonth.AddMonths(1));
        await WaitForAsync(async () => await db.ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())") == 1);
        await firstTransaction.CommitAsync(Ct);

        var concurrent = await Assert.ThrowsAsync<PostgresException>(() => second);
        Assert.Equal(PostgresErrorCodes.UniqueViolation, concurrent.SqlState);
        Assert.Equal(2L, await db.CountEventsAsync(id));
    }

    /// <summary>"16" for V16__x.sql, "7.1" for V7_1__y.sql; "0" for repeatable scripts, which every release carries.</summary>
    private static string VersionOf(string script) =>
        script.StartsWith('V') ? script[1..script.IndexOf("__", StringComparison.Ordinal)].Replace('_', '.') : "0";

    [Fact]
    public async Task Event_lookups_are_prepared_once_per_connection_and_reused_by_every_call()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        // One connection in the pool: every call, and the check below, run in the same session.
        await using var single = CatalogPool.Create(new NpgsqlConnectionStringBuilder(db.ConnectionString) { MaxPoolSize = 1 }.ConnectionString);
        var catalog = new TenantCatalog(single);
        for (var i = 0; i < 7; i++)
        {
            await catalog.GetRecentEventsAsync(id, ThisMonth, ThisMonth.AddMonths(1), 20, Ct);
            await catalog.GetEventsAsync(id, 20, null, Ct);
        }

        await using var connection = await single.OpenConnectionAsync(Ct);
        await using var command = new NpgsqlCommand("SELECT statement, generic_plans + custom_plans FROM pg_prepared_statements", connection);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var executions = new Dictionary<string, long>();
        while (await reader.ReadAsync(Ct))
        {
            executions[reader.GetString(0)] = reader.GetInt64(1);
        }

        // Planned by PostgreSQL's plan cache (its first custom plans, then its choice), parsed once: not planned anew per call.
        Assert.Equal(7, executions.GetValueOrDefault(CatalogSql.RecentEvents));
        Assert.Equal(7, executions.GetValueOrDefault(CatalogSql.EventsFirst));
    }

    [Fact]
    public async Task A_write_returns_the_event_it_recorded_even_beside_a_later_dated_event()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        // Dated next month (its partition exists ahead): the tenant's newest event by time, but not the one written below.
        await db.ExecuteAsync(
            "INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at) VALUES ($1, 'status_changed', 'test', $2)",
            id, ThisMonth.AddMonths(1).AddDays(3));

        var recorded = await db.Catalog.RecordErrorAsync(id, "Boom", "it failed", "operator", Ct);

        Assert.Equal(CatalogEventType.Error.ToWire(), recorded.EventType);
        Assert.Equal("Boom", recorded.Payload!.Value.GetProperty("reason").GetString());
        Assert.Equal(await db.ScalarAsync<Guid>("SELECT id FROM control_plane.tenant_events WHERE tenant_id = $1 AND event_type = 'error'", id), recorded.Id);
    }

    private static string MonthName(int month) => $"tenant_events_{ThisMonth.AddMonths(month):yyyy_MM}";

    private static async Task<List<string>> EventsAsync(MigratedDatabase db)
    {
        await using var command = db.DataSource.CreateCommand("""
            SELECT t.slug, e.event_type, e.created_at FROM control_plane.tenant_events e JOIN control_plane.tenants t ON t.id = e.tenant_id
             ORDER BY t.slug, e.created_at
            """);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        var rows = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            var created = reader.GetFieldValue<DateTimeOffset>(2);
            rows.Add($"{reader.GetString(0)} {reader.GetString(1)} {((created.Year - ThisMonth.Year) * 12) + created.Month - ThisMonth.Month}");
        }

        return rows;
    }

    private static async Task<string> PlanAsync(MigratedDatabase db, string sql, params object[] values)
    {
        await using var command = db.DataSource.CreateCommand("EXPLAIN (COSTS OFF) " + sql);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await using var reader = await command.ExecuteReaderAsync(Ct);
        var lines = new List<string>();
        while (await reader.ReadAsync(Ct))
        {
            lines.Add(reader.GetString(0));
        }

        return string.Join('\n', lines);
    }

    private static async Task InsertEventAsync(NpgsqlConnection connection, Guid tenantId, string type, DateTimeOffset at)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor, created_at) VALUES ($1, $2, 'test', $3)", connection)
        {
            Parameters = { new() { Value = tenantId }, new() { Value = type }, new() { Value = at } },
        };
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 60 s");
            await Task.Delay(50, Ct);
        }
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }
}
