using ControlPlane.Store.TenantDatabases;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests.TenantDatabases;

public sealed class TenantDatabaseAdministratorTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Password = "Qw8rTy2uIo4pAs6dFg8hJk0lZx2cVb4n";
    private TenantServer _server = null!;
    private NpgsqlDataSource _admin = null!;
    private TenantDatabaseAdministrator _administrator = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await TenantServer.CreateAsync(postgres, Token);
        _admin = NpgsqlDataSource.Create(_server.AdminConnection().ConnectionString);
        _administrator = new TenantDatabaseAdministrator(_admin);
    }

    public async ValueTask DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task Provisioning_creates_a_locked_down_database_the_tenant_can_log_into()
    {
        var spec = Spec("acme");

        var applied = await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);

        Assert.NotEmpty(applied);
        Assert.Equal(1, await QueryAsTenantAsync(spec, "SELECT 1"));
        var role = await ReadRoleAsync(spec.Role);
        Assert.Equal((true, false, false, false, 7), role);
        Assert.Equal(spec.OwnerRole, await ScalarAsync<string>($"SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = '{spec.Database}'"));
    }

    [Fact]
    public async Task A_second_converge_of_a_provisioned_tenant_executes_nothing()
    {
        var spec = Spec("idem");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);

        Assert.Empty(await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token));
    }

    [Fact]
    public async Task Tenants_cannot_reach_each_others_databases_and_strangers_reach_none()
    {
        var a = Spec("alpha");
        var b = Spec("bravo");
        await _administrator.ConvergeAsync(a, ScramVerifier.Compute(Password), Token);
        await _administrator.ConvergeAsync(b, ScramVerifier.Compute(Password), Token);
        var stranger = _server.Prefix + "stranger";
        await ExecuteAsAdminAsync($"CREATE ROLE {stranger} LOGIN PASSWORD '{Password}'");

        var crossed = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(_server.LoginAs(a.Role, Password, b.Database)));
        var strangerOnA = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(_server.LoginAs(stranger, Password, a.Database)));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, crossed.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, strangerOnA.SqlState);
    }

    [Fact]
    public async Task The_tenant_role_cannot_create_roles_or_databases()
    {
        var spec = Spec("lowpriv");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);

        var role = await Assert.ThrowsAsync<PostgresException>(() => QueryAsTenantAsync(spec, $"CREATE ROLE {_server.Prefix}evil"));
        var database = await Assert.ThrowsAsync<PostgresException>(() => QueryAsTenantAsync(spec, $"CREATE DATABASE {_server.Prefix}evil"));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, role.SqlState);
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, database.SqlState);
    }

    [Fact]
    public async Task Suspension_ends_open_sessions_and_refuses_new_logins_and_resume_restores_them()
    {
        var spec = Spec("pause");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        await using var open = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));

        var suspended = await _administrator.ConvergeAsync(spec with { Suspended = true }, (ScramVerifier?)null, Token);

        Assert.Contains(new TenantDatabaseStep.TerminateSessions(), suspended);
        await Assert.ThrowsAnyAsync<Exception>(() => new NpgsqlCommand("SELECT 1", open).ExecuteScalarAsync(Token));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database)));
        Assert.Equal(PostgresErrorCodes.InvalidAuthorizationSpecification, refused.SqlState);

        await _administrator.ConvergeAsync(spec, (ScramVerifier?)null, Token);

        Assert.Equal(1, await QueryAsTenantAsync(spec, "SELECT 1"));
    }

    [Fact]
    public async Task A_database_dropped_by_hand_is_recreated()
    {
        var spec = Spec("drift");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        await ExecuteAsAdminAsync($"DROP DATABASE {spec.Database}");

        var applied = await _administrator.ConvergeAsync(spec, (ScramVerifier?)null, Token);

        Assert.Contains(new TenantDatabaseStep.CreateDatabase(), applied);
        Assert.Equal(1, await QueryAsTenantAsync(spec, "SELECT 1"));
    }

    [Fact]
    public async Task A_database_owned_by_someone_else_is_left_alone()
    {
        var spec = Spec("taken");
        await ExecuteAsAdminAsync($"CREATE DATABASE {spec.Database}");

        var error = await Assert.ThrowsAsync<TenantDatabaseConflictException>(
            () => _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token));

        Assert.Equal("DatabaseOwnedByAnotherRole", error.Reason);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM pg_roles WHERE rolname = '{spec.Role}'"));
    }

    [Fact]
    public async Task Provisioning_marks_the_database_and_the_role_with_the_tenant_id_in_the_shared_catalog()
    {
        var tenant = Guid.CreateVersion7();
        var spec = Spec("marked", tenant);

        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);

        Assert.Equal(OwnershipMark.For(tenant), await ScalarAsync<string>($"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{spec.Database}'"));
        Assert.Equal(OwnershipMark.For(tenant), await ScalarAsync<string>($"SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = '{spec.Role}'"));
    }

    [Fact]
    public async Task A_tenant_login_cannot_forge_the_mark_of_its_role()
    {
        var spec = Spec("forger");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);

        var error = await Assert.ThrowsAsync<PostgresException>(
            () => QueryAsTenantAsync(spec, $"COMMENT ON ROLE {spec.Role} IS '{OwnershipMark.For(Guid.CreateVersion7())}'; SELECT 1"));

        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, error.SqlState);
        Assert.Equal(OwnershipMark.For(spec.Ownership.Tenant), await ScalarAsync<string>($"SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = '{spec.Role}'"));
    }

    [Fact]
    public async Task A_stranger_role_and_its_database_of_the_same_name_are_never_converged_re_passworded_or_dropped()
    {
        var spec = Spec("stranger");
        await ExecuteAsAdminAsync($"CREATE ROLE {spec.Role} LOGIN PASSWORD '{Password}'");
        await ExecuteAsAdminAsync($"GRANT {spec.Role} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE");
        await ExecuteAsAdminAsync($"CREATE DATABASE {spec.Database} OWNER {spec.Role}");

        var error = await Assert.ThrowsAsync<TenantDatabaseConflictException>(
            () => _administrator.ConvergeAsync(spec, ScramVerifier.Compute("Other" + Password), Token));
        await Assert.ThrowsAsync<TenantDatabaseConflictException>(
            () => _administrator.SetPasswordAsync(spec, ScramVerifier.Compute("Other" + Password), Token));
        var left = (await _administrator.DropAsync(spec, Token)).NotOwned;

        Assert.Equal(TenantOwnershipProof.RoleNotOwned, error.Reason);
        Assert.Equal([$"database {spec.Database}", $"role {spec.Role}"], left);
        Assert.Equal(1, await QueryAsTenantAsync(spec, "SELECT 1"));
    }

    [Fact]
    public async Task Another_tenant_naming_a_retained_database_is_refused_and_its_deletion_leaves_everything()
    {
        var retained = Spec("retained");
        await _administrator.ConvergeAsync(retained, ScramVerifier.Compute(Password), Token);
        await _administrator.RetainAsync(retained, Token);
        var intruder = retained with { Ownership = new(Guid.CreateVersion7()) };

        await Assert.ThrowsAsync<TenantDatabaseConflictException>(() => _administrator.ConvergeAsync(intruder, ScramVerifier.Compute(Password), Token));
        Assert.Empty(await _administrator.RetainAsync(intruder, Token));
        Assert.Equal([$"database {retained.Database}", $"role {retained.Role}", $"role {retained.OwnerRole}"], (await _administrator.DropAsync(intruder, Token)).NotOwned);

        var state = await _administrator.ObserveAsync(retained, Token);
        Assert.True(state.DatabaseExists && state.RoleExists && !state.RoleCanLogin);
        var adopted = retained with { Ownership = new(Guid.CreateVersion7(), AdoptFrom: retained.Ownership.Tenant) };
        await _administrator.ConvergeAsync(adopted, (ScramVerifier?)null, Token);
        await _administrator.SetPasswordAsync(adopted, ScramVerifier.Compute(Password), Token);
        Assert.Equal(1, await QueryAsTenantAsync(adopted, "SELECT 1"));
        Assert.Equal(adopted.Ownership.Tenant, (await _administrator.ProveAsync(adopted with { Ownership = new(adopted.Ownership.Tenant) }, Token)) is { Problem: null, DatabaseProven: true } ? adopted.Ownership.Tenant : Guid.Empty);
    }

    [Fact]
    public async Task Delete_drops_database_and_role_and_is_idempotent()
    {
        var spec = Spec("gone");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        await using var open = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));

        await _administrator.DropAsync(spec, Token);
        await _administrator.DropAsync(spec, Token);

        Assert.Equal(TenantDatabaseState.Missing, (await _administrator.ObserveAsync(spec, Token)) with { Marks = null });
    }

    [Fact]
    public async Task Retain_keeps_the_data_but_nobody_can_log_in()
    {
        var spec = Spec("kept");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);

        await _administrator.RetainAsync(spec, Token);

        var state = await _administrator.ObserveAsync(spec, Token);
        Assert.True(state.DatabaseExists);
        Assert.False(state.RoleCanLogin);
        Assert.False(state.RoleCanConnect);
    }

    [Fact]
    public async Task Retaining_a_tenant_that_never_got_a_database_creates_nothing()
    {
        var spec = Spec("never");

        Assert.Empty(await _administrator.RetainAsync(spec, Token));
        Assert.Equal(TenantDatabaseState.Missing, (await _administrator.ObserveAsync(spec, Token)) with { Marks = null });
    }

    [Fact]
    public async Task Tenant_migrations_go_forward_as_the_owner_role_and_never_back()
    {
        var spec = Spec("ledger");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        var migrator = new TenantSchemaMigrator(Repository.Path("sql", "tenant"));

        var first = await _administrator.MigrateAsync(spec, migrator, SchemaVersion.Parse("1"), Token);
        var second = await _administrator.MigrateAsync(spec, migrator, migrator.LatestVersion, Token);
        var again = await _administrator.MigrateAsync(spec, migrator, migrator.LatestVersion, Token);
        var back = await Assert.ThrowsAsync<SchemaMigrationException>(
            () => _administrator.MigrateAsync(spec, migrator, SchemaVersion.Parse("1"), Token));

        Assert.Equal((null, "1"), (first.From?.ToString(), first.To.ToString()));
        Assert.Equal(("1", "2"), (second.From?.ToString(), second.To.ToString()));
        Assert.False(again.Changed);
        Assert.Equal("SchemaDowngradeRefused", back.Reason);
        Assert.Equal(spec.OwnerRole, await QueryAsTenantAsync<string>(spec, "SELECT tableowner::text FROM pg_tables WHERE tablename = 'journal_lines'"));
        Assert.False((await ReadRoleAsync(spec.OwnerRole)).Login, "the owner is sealed again after each migration");
        Assert.Equal(1, await QueryAsTenantAsync(spec, "SELECT count(*)::int FROM pg_extension WHERE extname = 'pgcrypto'"));
    }

    [Fact]
    public async Task The_tenant_schema_refuses_an_unbalanced_journal_entry()
    {
        var spec = Spec("books");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        var migrator = new TenantSchemaMigrator(Repository.Path("sql", "tenant"));
        await _administrator.MigrateAsync(spec, migrator, migrator.LatestVersion, Token);

        var error = await Assert.ThrowsAsync<PostgresException>(() => QueryAsTenantAsync(spec, """
            WITH p AS (INSERT INTO fiscal_periods (name, starts_on, ends_on) VALUES ('2026', '2026-01-01', '2026-12-31') RETURNING id),
                 a AS (INSERT INTO accounts (code, name, kind) VALUES ('1.1', 'Cash', 'asset') RETURNING id),
                 e AS (INSERT INTO journal_entries (fiscal_period_id, entry_date, description) SELECT id, '2026-03-01', 'unbalanced' FROM p RETURNING id)
            INSERT INTO journal_lines (entry_id, account_id, debit) SELECT e.id, a.id, 100 FROM e, a RETURNING 1
            """));

        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
    }

    [Fact]
    public async Task An_unknown_schema_version_is_refused_with_the_versions_that_exist()
    {
        var migrator = new TenantSchemaMigrator(Repository.Path("sql", "tenant"));

        var error = Assert.Throws<SchemaMigrationException>(() => migrator.ResolveTarget("99"));

        Assert.Equal("UnknownSchemaVersion", error.Reason);
        Assert.Contains("available: 1, 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_role_owning_objects_in_another_database_is_left_locked_and_the_database_is_named_until_they_are_gone()
    {
        var spec = Spec("spread");
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        var elsewhere = _server.Prefix + "elsewhere";
        await ExecuteAsAdminAsync($"CREATE DATABASE {elsewhere}");
        await using (var inElsewhere = NpgsqlDataSource.Create(_server.AdminConnection(elsewhere).ConnectionString))
        await using (var grant = inElsewhere.CreateCommand($"GRANT CREATE ON SCHEMA public TO {spec.Role}"))
        {
            await grant.ExecuteNonQueryAsync(Token);
        }

        // The tenant's own role creates a table in a database that is not the tenant's.
        await using (var tenant = await OpenAsync(_server.LoginAs(spec.Role, Password, elsewhere)))
        await using (var create = new NpgsqlCommand("CREATE TABLE public.kept (id int)", tenant))
        {
            await create.ExecuteNonQueryAsync(Token);
        }

        var drop = await _administrator.DropAsync(spec, Token);

        Assert.Empty(drop.NotOwned);
        var blocked = Assert.Single(drop.Blocked);
        Assert.Equal(new RoleDependency(spec.Role, elsewhere, OwnsObjects: true, HoldsPrivileges: true, OwnsDatabase: false, DatabasePrivileges: false), blocked);
        Assert.Equal($"role {spec.Role} owns objects in database {elsewhere} and holds privileges on objects in database {elsewhere}", blocked.Describe());
        Assert.False(await ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = '{spec.Database}')"));
        Assert.False((await ReadRoleAsync(spec.Role)).Login);
        Assert.False(await ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{spec.OwnerRole}')"));

        // Once what it owns elsewhere is gone, the same drop finishes.
        await ExecuteAsAdminAsync($"DROP DATABASE {elsewhere}");
        var second = await _administrator.DropAsync(spec, Token);
        Assert.Empty(second.Blocked);
        Assert.Empty(second.NotOwned);
        Assert.False(await ScalarAsync<bool>($"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{spec.Role}')"));
    }

    private TenantDatabaseTarget Spec(string name, Guid? tenant = null) =>
        new(_server.Prefix + name, _server.Prefix + name, 7, Suspended: false) { Ownership = new(tenant ?? Guid.CreateVersion7()) };

    private async Task<(bool Login, bool Super, bool CreateDb, bool CreateRole, int Limit)> ReadRoleAsync(string role)
    {
        await using var command = _admin.CreateCommand(
            "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolconnlimit FROM pg_roles WHERE rolname = $1");
        command.Parameters.Add(new() { Value = role });
        await using var reader = await command.ExecuteReaderAsync(Token);
        Assert.True(await reader.ReadAsync(Token));
        return (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetBoolean(3), reader.GetInt32(4));
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _admin.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    private async Task ExecuteAsAdminAsync(string sql)
    {
        await using var command = _admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }

    private Task<int> QueryAsTenantAsync(TenantDatabaseTarget spec, string sql) => QueryAsTenantAsync<int>(spec, sql);

    private async Task<T> QueryAsTenantAsync<T>(TenantDatabaseTarget spec, string sql)
    {
        await using var connection = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    private static async Task<NpgsqlConnection> OpenAsync(NpgsqlConnectionStringBuilder settings)
    {
        var connection = new NpgsqlConnection(settings.ConnectionString);
        try
        {
            await connection.OpenAsync(Token);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
