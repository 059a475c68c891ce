using ControlPlane.Core.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

public sealed class TenantCatalogTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static TenantRegistration Registration(string slug, string? dbName = null) => new(
        slug, $"Tenant {slug}", dbName ?? "tenant_" + slug.Replace('-', '_').ToLowerInvariant(), "pg.tenants.internal",
        "app_" + slug.Replace('-', '_').ToLowerInvariant(), SecretReference.Kubernetes("econt-tenants", $"tenant-{slug.ToLowerInvariant()}-db", "password"));

    [Fact]
    public async Task Registering_creates_a_provisioning_tenant_with_its_audit_event()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);

        var tenant = await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);

        Assert.Equal(CatalogTenantStatus.Provisioning, tenant.Status);
        Assert.Equal(tenant, await db.Catalog.GetByIdAsync(tenant.Id, Ct));
        var only = Assert.Single((await db.Catalog.GetEventsAsync(tenant.Id, 10, null, Ct)).Items);
        Assert.Equal(CatalogEventType.StatusChanged.ToWire(), only.EventType);
        Assert.Equal("operator", only.Actor);
        Assert.Equal("""{"to": "provisioning", "from": null}""", Normalize(only));
    }

    [Fact]
    public async Task Registering_the_same_tenant_again_returns_the_existing_row_and_writes_nothing()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var first = await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);

        var again = await db.Catalog.RegisterAsync(Registration("acme") with { DisplayName = "Renamed meanwhile" }, "operator", Ct);

        Assert.Equal(first, again);
        Assert.Equal(1L, await db.CountEventsAsync(first.Id));
        Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM control_plane.tenants"));
    }

    [Fact]
    public async Task Registering_a_taken_slug_with_other_connection_data_is_refused_as_SlugTaken()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);

        var error = await Assert.ThrowsAsync<SlugTakenException>(() =>
            db.Catalog.RegisterAsync(Registration("ACME", "tenant_acme_2"), "operator", Ct));

        Assert.Equal("ACME", error.Slug);
    }

    [Fact]
    public async Task Registering_a_taken_database_name_under_another_slug_is_refused_as_DatabaseNameTaken()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);

        await Assert.ThrowsAsync<DatabaseNameTakenException>(() => db.Catalog.RegisterAsync(Registration("other", "tenant_acme"), "operator", Ct));
    }

    [Fact]
    public async Task Registering_a_tenant_that_already_moved_past_provisioning_is_refused_as_SlugTaken()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var tenant = await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);
        await db.Catalog.MarkActiveAsync(tenant.Id, "operator", Ct);

        await Assert.ThrowsAsync<SlugTakenException>(() => db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct));
    }

    [Fact]
    public async Task Two_concurrent_registrations_of_one_slug_leave_exactly_one_tenant_and_one_SlugTaken()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        for (var round = 0; round < 10; round++)
        {
            var slug = $"race-{round}";
            using var start = new ManualResetEventSlim();
            var attempts = new[] { $"db_{round}_a", $"db_{round}_b" }
                .Select(name => Task.Run(async () =>
                {
                    start.Wait(Ct);
                    return await db.Catalog.RegisterAsync(Registration(slug, name), "operator", Ct);
                }, Ct))
                .ToArray();
            start.Set();
            var outcomes = await Task.WhenAll(attempts.Select(async a =>
            {
                try { await a; return "won"; }
                catch (SlugTakenException) { return "SlugTaken"; }
            }));

            Assert.Equal(["SlugTaken", "won"], outcomes.Order(StringComparer.Ordinal));
            Assert.Equal(1L, await db.ScalarAsync<long>("SELECT count(*) FROM control_plane.tenants WHERE slug = $1", slug));
        }
    }

    [Fact]
    public async Task A_registration_that_loses_at_the_unique_index_comes_back_as_SlugTaken()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        // A competitor has inserted the slug but not committed: our check sees nothing, our insert waits on the index.
        await using var competitor = await db.DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await competitor.BeginTransactionAsync(Ct);
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref)
            VALUES ('acme', 'Acme', 'tenant_competitor', 'db', 'app', 'mock:acme')
            """, competitor, transaction))
        {
            await insert.ExecuteNonQueryAsync(Ct);
        }

        var registering = db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);
        await WaitUntilBlockedAsync(db);
        await transaction.CommitAsync(Ct);

        var error = await Assert.ThrowsAsync<SlugTakenException>(() => registering);
        Assert.IsType<PostgresException>(error.InnerException);
    }

    [Fact]
    public async Task A_tenant_walks_the_whole_lifecycle_with_a_status_changed_event_for_every_step()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;

        Assert.Equal(CatalogTenantStatus.Active, (await db.Catalog.MarkActiveAsync(id, "operator", Ct)).Status);
        var suspended = await db.Catalog.MarkSuspendedAsync(id, "unpaid invoices", "user:billing", Ct);
        Assert.Equal((CatalogTenantStatus.Suspended, "unpaid invoices"), (suspended.Status, suspended.SuspendedReason));
        var resumed = await db.Catalog.MarkResumedAsync(id, "user:billing", Ct);
        Assert.Equal((CatalogTenantStatus.Active, null), (resumed.Status, resumed.SuspendedReason));
        Assert.Equal(CatalogTenantStatus.Deleting, (await db.Catalog.MarkDeletingAsync(id, "operator", Ct)).Status);
        var deleted = await db.Catalog.MarkDeletedAsync(id, "operator", Ct);

        Assert.Equal(CatalogTenantStatus.Deleted, deleted.Status);
        Assert.NotNull(deleted.DeletedAt);
        Assert.Null(await db.Catalog.FindBySlugAsync("acme", Ct));
        var events = (await db.Catalog.GetEventsAsync(id, 50, null, Ct)).Items;
        Assert.Equal(
            ["deleted", "status_changed", "deleting", "status_changed", "resumed", "status_changed", "suspended", "status_changed", "provisioned", "status_changed", "status_changed"],
            events.Select(e => e.EventType));
        Assert.Equal(
            ["deleting>deleted", "active>deleting", "suspended>active", "active>suspended", "provisioning>active", ">provisioning"],
            events.Where(e => e.EventType == CatalogEventType.StatusChanged.ToWire())
                .Select(e => $"{e.Payload!.Value.GetProperty("from").GetString()}>{e.Payload.Value.GetProperty("to").GetString()}"));
        Assert.All(events, e => Assert.False(string.IsNullOrWhiteSpace(e.Actor)));
        Assert.Equal("unpaid invoices", events.Single(e => e.EventType == CatalogEventType.Suspended.ToWire()).Payload!.Value.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task A_soft_deleted_slug_can_be_registered_again_as_a_new_tenant()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var old = await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);
        await db.Catalog.MarkDeletingAsync(old.Id, "operator", Ct);
        await db.Catalog.MarkDeletedAsync(old.Id, "operator", Ct);

        var reborn = await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);

        Assert.NotEqual(old.Id, reborn.Id);
        Assert.Equal(reborn.Id, (await db.Catalog.FindBySlugAsync("ACME", Ct))!.Id);
        Assert.Equal(CatalogTenantStatus.Deleted, (await db.Catalog.GetByIdAsync(old.Id, Ct)).Status);
    }

    [Fact]
    public async Task Repeating_a_status_change_that_is_already_in_place_writes_no_event()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;
        var active = await db.Catalog.MarkActiveAsync(id, "operator", Ct);
        var events = await db.CountEventsAsync(id);

        var again = await db.Catalog.MarkActiveAsync(id, "operator", Ct);
        await db.Catalog.MarkResumedAsync(id, "operator", Ct);

        Assert.Equal(active, again);
        Assert.Equal(events, await db.CountEventsAsync(id));
        await db.Catalog.MarkDeletingAsync(id, "operator", Ct);
        await db.Catalog.MarkDeletedAsync(id, "operator", Ct);
        events = await db.CountEventsAsync(id);
        await db.Catalog.MarkDeletedAsync(id, "operator", Ct);
        await db.Catalog.MarkDeletingAsync(id, "operator", Ct);
        Assert.Equal(events, await db.CountEventsAsync(id));
    }

    [Fact]
    public async Task Suspending_again_with_another_reason_replaces_the_reason_without_a_status_change()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;
        await db.Catalog.MarkActiveAsync(id, "operator", Ct);
        await db.Catalog.MarkSuspendedAsync(id, "unpaid", "operator", Ct);
        var events = await db.CountEventsAsync(id);

        await db.Catalog.MarkSuspendedAsync(id, "unpaid", "operator", Ct);
        Assert.Equal(events, await db.CountEventsAsync(id));
        var changed = await db.Catalog.MarkSuspendedAsync(id, "legal hold", "operator", Ct);

        Assert.Equal("legal hold", changed.SuspendedReason);
        var newest = (await db.Catalog.GetEventsAsync(id, 1, null, Ct)).Items[0];
        Assert.Equal((CatalogEventType.Suspended.ToWire(), "unpaid"), (newest.EventType, newest.Payload!.Value.GetProperty("previous_reason").GetString()));
        Assert.Equal(events + 1, await db.CountEventsAsync(id));
    }

    [Fact]
    public async Task Transitions_outside_the_lifecycle_are_refused_and_change_nothing()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;

        await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.MarkSuspendedAsync(id, "x", "operator", Ct));
        await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.MarkResumedAsync(id, "operator", Ct));
        await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.MarkDeletedAsync(id, "operator", Ct));
        await db.Catalog.MarkDeletingAsync(id, "operator", Ct);
        await db.Catalog.MarkDeletedAsync(id, "operator", Ct);
        var events = await db.CountEventsAsync(id);

        var error = await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.MarkActiveAsync(id, "operator", Ct));
        await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.MarkResumedAsync(id, "operator", Ct));
        await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.UpdateProfileAsync(id, new TenantProfile("x"), "operator", Ct));
        await Assert.ThrowsAsync<IllegalTransitionException>(() => db.Catalog.RecordMigrationAsync(id, null, "1", "operator", Ct));

        Assert.Equal((CatalogTenantStatus.Deleted, "active"), (error.Current, error.Requested));
        Assert.Equal(CatalogTenantStatus.Deleted, (await db.Catalog.GetByIdAsync(id, Ct)).Status);
        Assert.Equal(events, await db.CountEventsAsync(id));
    }

    [Fact]
    public async Task Concurrent_writers_to_one_tenant_never_lose_a_status_change()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;
        await db.Catalog.MarkActiveAsync(id, "operator", Ct);

        // Suspenders, resumers and one deleter race; whatever order the locks give, the audit chain must be unbroken.
        var writers = Enumerable.Range(0, 24).Select(i => Task.Run(async () =>
        {
            try
            {
                _ = i switch
                {
                    12 => await db.Catalog.MarkDeletingAsync(id, $"w{i}", Ct),
                    _ when i % 2 == 0 => await db.Catalog.MarkSuspendedAsync(id, "race", $"w{i}", Ct),
                    _ => await db.Catalog.MarkResumedAsync(id, $"w{i}", Ct),
                };
            }
            catch (IllegalTransitionException)
            {
                // Expected once the deleter has won.
            }
        }, Ct));
        await Task.WhenAll(writers);

        var changes = (await db.Catalog.GetEventsAsync(id, 500, null, Ct)).Items
            .Where(e => e.EventType == CatalogEventType.StatusChanged.ToWire())
            .Reverse()
            .Select(e => (From: e.Payload!.Value.GetProperty("from").GetString(), To: e.Payload.Value.GetProperty("to").GetString()))
            .ToList();
        for (var i = 1; i < changes.Count; i++)
        {
            Assert.Equal(changes[i - 1].To, changes[i].From);
        }

        Assert.Equal("deleting", changes[^1].To);
        Assert.Equal(CatalogTenantStatus.Deleting, (await db.Catalog.GetByIdAsync(id, Ct)).Status);
    }

    [Fact]
    public async Task Recording_a_migration_sets_the_schema_version_and_is_idempotent()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;

        Assert.Equal("2024.1", (await db.Catalog.RecordMigrationAsync(id, null, "2024.1", "operator", Ct)).SchemaVersion);
        var migrated = await db.Catalog.RecordMigrationAsync(id, "2024.1", "2024.2", "operator", Ct);
        var events = await db.CountEventsAsync(id);
        await db.Catalog.RecordMigrationAsync(id, "2024.1", "2024.2", "operator", Ct);

        Assert.Equal("2024.2", migrated.SchemaVersion);
        Assert.Equal(events, await db.CountEventsAsync(id));
        var newest = (await db.Catalog.GetEventsAsync(id, 1, null, Ct)).Items[0];
        Assert.Equal("""{"to": "2024.2", "from": "2024.1"}""", Normalize(newest));
        await Assert.ThrowsAsync<SchemaVersionMismatchException>(() => db.Catalog.RecordMigrationAsync(id, "2023.9", "2025.1", "operator", Ct));
    }

    [Fact]
    public async Task Recording_an_error_keeps_reason_and_message_but_masks_credentials()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;

        var recorded = await db.Catalog.RecordErrorAsync(id, "DatabaseUnreachable",
            "could not connect with Host=db;Password=hunter2;Username=app via postgresql://app:hunter2@db/acme", "operator", Ct);  // secretlint-disable-line

        var stored = (await db.Catalog.GetEventsAsync(id, 1, null, Ct)).Items[0];
        Assert.Equal((recorded.Id, recorded.CreatedAt), (stored.Id, stored.CreatedAt));
        Assert.Equal(CatalogEventType.Error.ToWire(), stored.EventType);
        Assert.Equal("DatabaseUnreachable", stored.Payload!.Value.GetProperty("reason").GetString());
        var message = stored.Payload.Value.GetProperty("message").GetString()!;
        Assert.DoesNotContain("hunter2", message, StringComparison.Ordinal);
        Assert.Contains("Host=db;Password=***;Username=app", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Updating_the_profile_audits_the_changed_fields_and_a_repeat_is_a_no_op()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var tenant = await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct);
        var profile = TenantProfile.Of(tenant) with { DisplayName = "Acme SA", ContactEmail = "ops@acme.example" };

        var updated = await db.Catalog.UpdateProfileAsync(tenant.Id, profile, "user:jdoe", Ct);
        var events = await db.CountEventsAsync(tenant.Id);
        await db.Catalog.UpdateProfileAsync(tenant.Id, profile, "user:jdoe", Ct);

        Assert.Equal(("Acme SA", "ops@acme.example"), (updated.DisplayName, updated.ContactEmail));
        Assert.True(updated.UpdatedAt > tenant.UpdatedAt);
        Assert.Equal(events, await db.CountEventsAsync(tenant.Id));
        var newest = (await db.Catalog.GetEventsAsync(tenant.Id, 1, null, Ct)).Items[0];
        Assert.Equal((CatalogEventType.ProfileUpdated.ToWire(), "user:jdoe"), (newest.EventType, newest.Actor));
        Assert.Equal("""{"fields": ["display_name", "contact_email"]}""", Normalize(newest));
    }

    [Fact]
    public async Task Updating_limits_creates_then_replaces_the_row_and_audits_each_change()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;

        await db.Catalog.UpdateLimitsAsync(id, new CatalogTenantLimits(MaxUsers: 10), "operator", Ct);
        await db.Catalog.UpdateLimitsAsync(id, new CatalogTenantLimits(MaxDbSizeMb: 2048, MaxUsers: 25, Notes: "pilot"), "operator", Ct);
        await db.Catalog.UpdateLimitsAsync(id, new CatalogTenantLimits(MaxDbSizeMb: 2048, MaxUsers: 25, Notes: "pilot"), "operator", Ct);

        Assert.Equal(new CatalogTenantLimits(2048, 25, null, "pilot"), await db.Catalog.GetLimitsAsync(id, Ct));
        Assert.Equal(2L, await db.ScalarAsync<long>(
            "SELECT count(*) FROM control_plane.tenant_events WHERE tenant_id = $1 AND event_type = 'limits_updated'", id));
    }

    [Fact]
    public async Task A_row_read_with_its_limits_equals_the_two_separate_reads_and_an_unknown_id_is_not_found()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var bare = (await db.Catalog.RegisterAsync(Registration("bare"), "operator", Ct)).Id;
        var limited = (await db.Catalog.RegisterAsync(Registration("limited"), "operator", Ct)).Id;
        await db.Catalog.UpdateLimitsAsync(limited, new CatalogTenantLimits(MaxDbSizeMb: 2048, MaxAttachmentsGb: 0, Notes: "pilot"), "operator", Ct);
        await db.Catalog.MarkActiveAsync(limited, "operator", Ct);

        foreach (var id in new[] { bare, limited })
        {
            var read = await db.Catalog.GetWithLimitsAsync(id, Ct);

            Assert.Equal(await db.Catalog.GetByIdAsync(id, Ct), read.Tenant);
            Assert.Equal(await db.Catalog.GetLimitsAsync(id, Ct), read.Limits);
        }

        Assert.Equal(new CatalogTenantLimits(2048, null, 0, "pilot"), (await db.Catalog.GetWithLimitsAsync(limited, Ct)).Limits);
        await Assert.ThrowsAsync<TenantNotFoundException>(() => db.Catalog.GetWithLimitsAsync(Guid.NewGuid(), Ct));
    }

    [Fact]
    public async Task The_bulk_pages_hold_every_live_row_once_with_its_limits_as_the_single_read_does_and_no_deleted_row()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var live = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            live.Add((await db.Catalog.RegisterAsync(Registration($"bulk{i}"), "operator", Ct)).Id);
        }

        await db.Catalog.UpdateLimitsAsync(live[3], new CatalogTenantLimits(MaxUsers: 5, Notes: "pilot"), "operator", Ct);
        var gone = (await db.Catalog.RegisterAsync(Registration("gone"), "operator", Ct)).Id;
        await db.Catalog.MarkDeletingAsync(gone, "operator", Ct);
        await db.Catalog.MarkDeletedAsync(gone, "operator", Ct);

        var read = new List<TenantWithLimits>();
        var pages = 0;
        IReadOnlyList<TenantWithLimits> page;
        do
        {
            page = await db.Catalog.ListLiveWithLimitsAsync(read.Count == 0 ? null : read[^1].Tenant.Id, 3, Ct);
            read.AddRange(page);
            pages++;
        }
        while (page.Count == 3);

        Assert.Equal(3, pages);
        Assert.Equal(live.Order(), read.Select(r => r.Tenant.Id));
        foreach (var row in read)
        {
            Assert.Equal(await db.Catalog.GetWithLimitsAsync(row.Tenant.Id, Ct), row);
        }

        Assert.Equal(new CatalogTenantLimits(null, 5, null, "pilot"), read.Single(r => r.Tenant.Id == live[3]).Limits);
    }

    [Fact]
    public async Task Writes_to_an_unknown_tenant_fail_with_TenantNotFound()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var unknown = Guid.NewGuid();

        await Assert.ThrowsAsync<TenantNotFoundException>(() => db.Catalog.GetByIdAsync(unknown, Ct));
        await Assert.ThrowsAsync<TenantNotFoundException>(() => db.Catalog.MarkActiveAsync(unknown, "operator", Ct));
        await Assert.ThrowsAsync<TenantNotFoundException>(() => db.Catalog.RecordErrorAsync(unknown, "x", "y", "operator", Ct));
    }

    [Fact]
    public async Task Listing_by_status_pages_through_every_tenant_once_most_recent_first()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var active = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            var tenant = await db.Catalog.RegisterAsync(Registration($"t{i}"), "operator", Ct);
            if (i != 3)
            {
                active.Add((await db.Catalog.MarkActiveAsync(tenant.Id, "operator", Ct)).Id);
            }
        }

        var seen = new List<CatalogTenant>();
        TenantCursor? cursor = null;
        do
        {
            var page = await db.Catalog.ListByStatusAsync(CatalogTenantStatus.Active, 2, cursor, Ct);
            Assert.True(page.Items.Count <= 2);
            seen.AddRange(page.Items);
            cursor = page.Next;
        }
        while (cursor is not null);

        Assert.Equal(active.AsEnumerable().Reverse(), seen.Select(t => t.Id));
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.UpdatedAt >= p.Second.UpdatedAt));
    }

    [Fact]
    public async Task Events_page_newest_first()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = (await db.Catalog.RegisterAsync(Registration("acme"), "operator", Ct)).Id;
        for (var i = 0; i < 5; i++)
        {
            await db.Catalog.RecordErrorAsync(id, $"e{i}", "m", "operator", Ct);
        }

        var first = await db.Catalog.GetEventsAsync(id, 4, null, Ct);
        var second = await db.Catalog.GetEventsAsync(id, 4, first.Next, Ct);

        Assert.Equal(["e4", "e3", "e2", "e1"], first.Items.Select(e => e.Payload!.Value.GetProperty("reason").GetString()));
        Assert.Equal([CatalogEventType.Error.ToWire(), CatalogEventType.StatusChanged.ToWire()], second.Items.Select(e => e.EventType));
        Assert.Null(second.Next);
    }

    [Fact]
    public async Task Invalid_input_is_refused_before_the_database_is_asked()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);

        await Assert.ThrowsAsync<ArgumentException>(() => db.Catalog.RegisterAsync(Registration("acme", "Tenant-Acme"), "operator", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => db.Catalog.RegisterAsync(Registration("-acme"), "operator", Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => db.Catalog.RegisterAsync(Registration("acme"), " ", Ct));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM control_plane.tenants"));
    }

    private static string Normalize(TenantEvent e) => e.Payload!.Value.GetRawText();

    private static async Task WaitUntilBlockedAsync(MigratedDatabase db)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await db.ScalarAsync<long>(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'") > 0)
            {
                return;
            }

            await Task.Delay(25, Ct);
        }

        Assert.Fail("The registration never waited on the competitor's uncommitted insert.");
    }
}
