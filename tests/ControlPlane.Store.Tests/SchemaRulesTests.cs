using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

/// <summary>The catalog's rules as the database enforces them, each proven by trying to break it with plain SQL.</summary>
public sealed class SchemaRulesTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_slug_differing_only_in_case_is_refused_while_the_first_tenant_is_live()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.InsertRawTenantAsync("acme", "tenant_acme");

        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.InsertRawTenantAsync("ACME", "tenant_other"));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        Assert.Equal("tenants_slug_live_key", refused.ConstraintName);
    }

    [Fact]
    public async Task A_database_name_differing_only_in_case_is_refused_while_the_first_tenant_is_live()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.InsertRawTenantAsync("acme", "tenant_acme");

        var refused = await Assert.ThrowsAsync<PostgresException>(() => db.InsertRawTenantAsync("other", "Tenant_ACME"));

        Assert.Equal(PostgresErrorCodes.UniqueViolation, refused.SqlState);
        Assert.Equal("tenants_db_name_live_key", refused.ConstraintName);
    }

    [Fact]
    public async Task Slug_and_database_name_are_free_again_after_a_soft_delete()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var first = await db.InsertRawTenantAsync("acme", "tenant_acme");
        await db.ExecuteAsync("UPDATE control_plane.tenants SET status = 'deleted', deleted_at = now() WHERE id = $1", first);

        var second = await db.InsertRawTenantAsync("Acme", "TENANT_acme");

        Assert.NotEqual(first, second);
        Assert.Equal(2L, await db.ScalarAsync<long>("SELECT count(*) FROM control_plane.tenants WHERE lower(slug) = 'acme'"));
    }

    [Fact]
    public async Task An_unknown_status_is_refused()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("UPDATE control_plane.tenants SET status = 'archived' WHERE id = $1", id));

        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        Assert.Equal("tenants_status_known", refused.ConstraintName);
    }

    [Fact]
    public async Task A_new_tenant_starts_in_provisioning()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");

        Assert.Equal("provisioning", await db.ScalarAsync<string>("SELECT status FROM control_plane.tenants WHERE id = $1", id));
    }

    [Fact]
    public async Task Updating_a_tenant_stamps_updated_at_with_the_database_clock_whatever_the_writer_sends()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");

        await db.ExecuteAsync("UPDATE control_plane.tenants SET display_name = 'Acme SA', updated_at = '2001-01-01' WHERE id = $1", id);

        Assert.True(await db.ScalarAsync<bool>(
            "SELECT updated_at > now() - interval '1 minute' FROM control_plane.tenants WHERE id = $1", id));
    }

    [Fact]
    public async Task Updating_tenant_limits_stamps_updated_at()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        await db.ExecuteAsync("INSERT INTO control_plane.tenant_limits (tenant_id, max_users, updated_at) VALUES ($1, 5, '2001-01-01')", id);

        await db.ExecuteAsync("UPDATE control_plane.tenant_limits SET max_users = 10, updated_at = '2001-01-01' WHERE tenant_id = $1", id);

        Assert.True(await db.ScalarAsync<bool>(
            "SELECT updated_at > now() - interval '1 minute' FROM control_plane.tenant_limits WHERE tenant_id = $1", id));
    }

    [Fact]
    public async Task An_event_written_before_its_tenant_in_one_transaction_commits()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = Guid.NewGuid();
        await using var connection = await db.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);

        await Execute(connection, "INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor) VALUES ($1, 'status_changed', 'test')", id);
        await Execute(connection, """
            INSERT INTO control_plane.tenants (id, slug, display_name, db_name, db_host, db_user, db_secret_ref)
            VALUES ($1, 'acme', 'Acme', 'tenant_acme', 'db', 'app', 'mock:acme')
            """, id);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1L, await db.CountEventsAsync(id));
    }

    [Fact]
    public async Task An_event_of_a_tenant_that_never_appears_is_refused_at_commit()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await using var connection = await db.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await Execute(connection, "INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor) VALUES ($1, 'error', 'test')", Guid.NewGuid());

        var refused = await Assert.ThrowsAsync<PostgresException>(() => transaction.CommitAsync(TestContext.Current.CancellationToken));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
    }

    [Fact]
    public async Task An_event_of_an_unknown_type_is_refused()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor) VALUES ($1, 'renamed', 'test')", id));

        Assert.Equal(PostgresErrorCodes.ForeignKeyViolation, refused.SqlState);
    }

    [Fact]
    public async Task An_event_without_an_actor_is_refused()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor) VALUES ($1, 'error', ' ')", id));

        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
    }

    [Theory]
    [InlineData("active", true)]
    [InlineData("suspended", true)]
    [InlineData("provisioning", true)]
    [InlineData("deleting", false)]
    public async Task A_deleted_at_on_a_tenant_that_is_not_being_deleted_is_refused(string status, bool refused)
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");
        var update = () => db.ExecuteAsync("UPDATE control_plane.tenants SET status = $2, deleted_at = now() WHERE id = $1", id, status);

        if (refused)
        {
            var error = await Assert.ThrowsAsync<PostgresException>(update);
            Assert.Equal("tenants_soft_delete_coherent", error.ConstraintName);
        }
        else
        {
            Assert.Equal(1, await update());
        }
    }

    [Fact]
    public async Task The_deleted_status_without_deleted_at_is_refused()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var id = await db.InsertRawTenantAsync("acme", "tenant_acme");

        var refused = await Assert.ThrowsAsync<PostgresException>(() =>
            db.ExecuteAsync("UPDATE control_plane.tenants SET status = 'deleted' WHERE id = $1", id));

        Assert.Equal("tenants_deleted_has_timestamp", refused.ConstraintName);
    }

    [Fact]
    public async Task Event_types_are_seeded_and_seeding_again_changes_nothing()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var seed = await File.ReadAllTextAsync(Path.Combine(MigratedDatabase.ScriptsDirectory, "V3__seed_event_types.sql"), TestContext.Current.CancellationToken);

        await db.ExecuteAsync(seed);

        var names = await db.ScalarAsync<string[]>("SELECT array_agg(name ORDER BY name) FROM control_plane.event_types");
        Assert.Equal(Enum.GetValues<CatalogEventType>().Select(t => t.ToWire()).Order(StringComparer.Ordinal), names);
        foreach (var required in (string[])["provisioned", "migrated", "suspended", "resumed", "deleting", "deleted", "status_changed", "error"])
        {
            Assert.Contains(required, names);
        }
    }

    [Fact]
    public async Task The_operational_and_optional_indexes_exist()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var indexes = await db.ScalarAsync<string[]>(
            "SELECT array_agg(indexname::text) FROM pg_indexes WHERE schemaname = 'control_plane'");

        Assert.Superset(
            new HashSet<string>
            {
                "tenants_slug_live_key", "tenants_db_name_live_key", "tenants_status_idx", "tenants_status_updated_at_idx",
                "tenant_events_tenant_created_idx", "tenant_events_payload_gin",
                // PostgreSQL 17 from the test fixture ships pg_trgm, so the optional index must be there.
                "tenants_display_name_trgm_idx",
            },
            indexes.ToHashSet());
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, params object[] values)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }
}
