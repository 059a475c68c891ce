using ControlPlane.Store.TenantDatabases;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests.TenantDatabases;

/// <summary>
/// The application role (the login the resolver hands out) against a password-authenticated server with a
/// non-superuser admin: data privileges only, sessions ended everywhere on suspension and deletion, and a tenant
/// provisioned the old way (the application role owning everything) converged in place while it keeps working.
/// </summary>
public sealed class ApplicationRoleTests(PostgresFixture postgres) : IAsyncLifetime
{
    private const string Password = "Qw8rTy2uIo4pAs6dFg8hJk0lZx2cVb4n";
    private TenantServer _server = null!;
    private NpgsqlDataSource _admin = null!;
    private TenantDatabaseAdministrator _administrator = null!;
    private TenantSchemaMigrator _migrator = null!;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _server = await TenantServer.CreateAsync(postgres, Token);
        _admin = NpgsqlDataSource.Create(_server.AdminConnection().ConnectionString);
        _administrator = new TenantDatabaseAdministrator(_admin);
        _migrator = new TenantSchemaMigrator(Repository.Path("sql", "tenant"));
    }

    public async ValueTask DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task The_application_role_reads_and_writes_data_but_cannot_create_alter_drop_or_truncate()
    {
        var spec = await ProvisionAsync("app");
        await using var app = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));

        Assert.Equal(1, await ScalarAsync<int>(app, "INSERT INTO accounts (code, name, kind) VALUES ('1', 'Cash', 'asset'); SELECT 1"));
        Assert.Equal(1, await ScalarAsync<int>(app, "UPDATE accounts SET name = 'Bank' WHERE code = '1'; SELECT count(*)::int FROM accounts WHERE name = 'Bank'"));
        Assert.Equal(0, await ScalarAsync<int>(app, "DELETE FROM accounts WHERE code = '1'; SELECT count(*)::int FROM accounts"));
        Assert.Equal("2", await ScalarAsync<string>(app, $"SELECT max(version) FROM {TenantSchemaMigrator.MetadataTable} WHERE type = 0"));

        // What the owner creates later is covered by its default privileges, sequences included.
        await AsOwnerAsync(spec, "CREATE SEQUENCE public.invoice_numbers; CREATE TABLE public.invoices (n bigint DEFAULT nextval('public.invoice_numbers'))");
        Assert.Equal(1L, await ScalarAsync<long>(app, "INSERT INTO invoices DEFAULT VALUES RETURNING n"));

        string[] refused =
        [
            "CREATE TABLE stolen (v int)",
            "CREATE SCHEMA stolen",
            "CREATE TEMP TABLE stolen (v int)",
            "CREATE FUNCTION public.stolen() RETURNS int LANGUAGE sql AS 'SELECT 1'",
            "ALTER TABLE accounts ADD COLUMN stolen int",
            "ALTER TABLE accounts OWNER TO CURRENT_USER",
            "DROP TABLE journal_lines",
            "TRUNCATE accounts",
            "TRUNCATE invoices",
            $"CREATE TRIGGER stolen BEFORE INSERT ON {TenantSchemaMigrator.MetadataTable} FOR EACH ROW EXECUTE FUNCTION journal_entry_must_balance()",
            $"DELETE FROM {TenantSchemaMigrator.MetadataTable}",
            $"ALTER DATABASE {spec.Database} SET search_path = public, pg_catalog",
            $"GRANT {spec.OwnerRole} TO {spec.Role}",
        ];
        foreach (var sql in refused)
        {
            var error = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(app, sql));
            Assert.True(error.SqlState == PostgresErrorCodes.InsufficientPrivilege, $"{sql}: {error.SqlState} {error.MessageText}");
        }
    }

    [Fact]
    public async Task The_owner_role_cannot_log_in_between_migrations_and_nobody_but_the_admin_holds_it()
    {
        var spec = await ProvisionAsync("sealed");

        Assert.False(await AdminScalarAsync<bool>($"SELECT rolcanlogin FROM pg_roles WHERE rolname = '{spec.OwnerRole}'"));
        Assert.Equal(
            [_server.AdminRole],
            await AdminListAsync($"SELECT DISTINCT pg_get_userbyid(member)::text FROM pg_auth_members WHERE roleid = '{spec.OwnerRole}'::regrole"));
        Assert.Empty(await AdminListAsync($"SELECT pg_get_userbyid(roleid)::text FROM pg_auth_members WHERE member = '{spec.Role}'::regrole"));
    }

    [Fact]
    public async Task Suspension_ends_a_session_the_tenant_opened_on_the_maintenance_database()
    {
        var spec = await ProvisionAsync("elsewhere");
        await using var onMaintenance = await OpenAsync(_server.LoginAs(spec.Role, Password, "postgres"));
        await using var onOwn = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));

        var applied = await _administrator.ConvergeAsync(spec with { Suspended = true }, (ScramVerifier?)null, Token);

        Assert.Contains(new TenantDatabaseStep.TerminateSessions(), applied);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(onMaintenance, "SELECT 1"));
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(onOwn, "SELECT 1"));
        Assert.Empty(await _administrator.ConvergeAsync(spec with { Suspended = true }, (ScramVerifier?)null, Token));
    }

    [Fact]
    public async Task Suspension_returns_once_the_ended_sessions_are_gone_so_the_next_converge_finds_nothing_to_end()
    {
        var spec = await ProvisionAsync("slowexit");
        await using var session = await OpenAsync(_server.LoginAs(spec.Role, Password, "postgres"));
        // A backend drops its temporary tables on the way out, still listed in pg_stat_activity: a session that takes a
        // while to end, as a busy one does. Seen still listed, the next converge ended it again and reported drift.
        await ScalarAsync<int>(session, "DO $$ BEGIN FOR i IN 1..1500 LOOP EXECUTE format('CREATE TEMP TABLE t%s (a int)', i); END LOOP; END $$; SELECT 1");

        var applied = await _administrator.ConvergeAsync(spec with { Suspended = true }, (ScramVerifier?)null, Token);

        Assert.Contains(new TenantDatabaseStep.TerminateSessions(), applied);
        Assert.Empty(await _administrator.ConvergeAsync(spec with { Suspended = true }, (ScramVerifier?)null, Token));
    }

    [Fact]
    public async Task Deletion_ends_sessions_on_other_databases_and_drops_both_roles()
    {
        var spec = await ProvisionAsync("leaving");
        await using var onMaintenance = await OpenAsync(_server.LoginAs(spec.Role, Password, "postgres"));

        await _administrator.DropAsync(spec, Token);

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(onMaintenance, "SELECT 1"));
        Assert.Equal(TenantDatabaseState.Missing, (await _administrator.ObserveAsync(spec, Token)) with { Marks = null });
    }

    [Fact]
    public async Task A_tenant_provisioned_the_old_way_is_converged_in_place_while_its_application_keeps_working()
    {
        var spec = await ProvisionTheOldWayAsync("legacy");
        await using var open = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var traffic = KeepWritingAsync(spec, open, stop.Token);

        var applied = await _administrator.ConvergeAsync(spec, (ScramVerifier?)null, Token);
        await Task.Delay(TimeSpan.FromMilliseconds(300), Token);
        await stop.CancelAsync();
        var (writes, failures) = await traffic;

        Assert.Equal(
            [
                new TenantDatabaseStep.MarkRole(spec.Role), new TenantDatabaseStep.MarkDatabase(),
                new TenantDatabaseStep.CreateOwnerRole(), new TenantDatabaseStep.GrantOwnerToAdmin(), new TenantDatabaseStep.TransferDatabase(), new TenantDatabaseStep.HandOverToOwner(Reassign: true),
            ],
            applied);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.True(writes > 0);
        Assert.Equal(spec.OwnerRole, await AdminScalarAsync<string>($"SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = '{spec.Database}'"));
        Assert.Equal(
            [spec.OwnerRole],
            (await ListAsync(open, "SELECT DISTINCT tableowner::text FROM pg_tables WHERE schemaname = 'public'")).Distinct());
        Assert.Equal(writes + 1, await ScalarAsync<long>(open, "SELECT count(*) FROM accounts"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(open, "DROP TABLE journal_lines"));
        Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        Assert.Empty(await _administrator.ConvergeAsync(spec, (ScramVerifier?)null, Token));
        Assert.False((await _administrator.MigrateAsync(spec, _migrator, _migrator.LatestVersion, Token)).Changed);
    }

    /// <summary>One tenant id per name, so every call for the same tenant carries the same ownership.</summary>
    private TenantDatabaseTarget Spec(string name) =>
        new(_server.Prefix + name, _server.Prefix + name, 20, Suspended: false)
        {
            Ownership = new(new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(_server.Prefix + name)))),
        };

    private async Task<TenantDatabaseTarget> ProvisionAsync(string name)
    {
        var spec = Spec(name);
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        await _administrator.MigrateAsync(spec, _migrator, _migrator.LatestVersion, Token);
        return spec;
    }

    /// <summary>As the operator did before ADR-CP-008: one login role owning the database and every object in it.</summary>
    private async Task<TenantDatabaseTarget> ProvisionTheOldWayAsync(string name)
    {
        var spec = Spec(name);
        foreach (var sql in (string[])[
            $"CREATE ROLE {spec.Role} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 20 PASSWORD '{Password}'",
            $"GRANT {spec.Role} TO CURRENT_USER WITH INHERIT TRUE, SET TRUE",
            $"CREATE DATABASE {spec.Database} OWNER {spec.Role} TEMPLATE template0 ENCODING 'UTF8'",
            $"REVOKE ALL ON DATABASE {spec.Database} FROM PUBLIC"])
        {
            await using var command = _admin.CreateCommand(sql);
            await command.ExecuteNonQueryAsync(Token);
        }

        await using var tenant = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));
        await ScalarAsync<object>(tenant, "CREATE EXTENSION pgcrypto");
        await _migrator.MigrateAsync(tenant, _migrator.LatestVersion, Token);
        await ScalarAsync<object>(tenant, "INSERT INTO accounts (code, name, kind) VALUES ('1', 'Cash', 'asset')");

        // Unmarked, as that release left them: the tenant's own catalog row is what lets the operator claim them.
        return spec with { Ownership = spec.Ownership with { ClaimUnmarked = true } };
    }

    /// <summary>The application's traffic during the upgrade: a fresh login and an insert, plus a read on a long-lived session.</summary>
    private async Task<(int Writes, List<string> Failures)> KeepWritingAsync(TenantDatabaseTarget spec, NpgsqlConnection open, CancellationToken stop)
    {
        var (writes, failures) = (0, new List<string>());
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var fresh = await OpenAsync(_server.LoginAs(spec.Role, Password, spec.Database));
                await ScalarAsync<object>(fresh, $"INSERT INTO accounts (code, name, kind) VALUES ('{writes + 2}', 'Write', 'asset')");
                writes++;
                await ScalarAsync<long>(open, "SELECT count(*) FROM accounts");
                await Task.Delay(TimeSpan.FromMilliseconds(20), stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (NpgsqlException e)
            {
                failures.Add(e.Message);
            }
        }

        return (writes, failures);
    }

    /// <summary>DDL with the owner role's rights (the superuser's SET ROLE), as a migration would run it.</summary>
    private async Task AsOwnerAsync(TenantDatabaseTarget spec, string sql)
    {
        await using var connection = await OpenAsync(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = spec.Database, Pooling = false });
        await ScalarAsync<object>(connection, $"SET ROLE {spec.OwnerRole}; {sql}");
    }

    private async Task<T> AdminScalarAsync<T>(string sql)
    {
        await using var command = _admin.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }

    private async Task<List<string>> AdminListAsync(string sql)
    {
        await using var connection = await _admin.OpenConnectionAsync(Token);
        return await ListAsync(connection, sql);
    }

    private static async Task<List<string>> ListAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(Token);
        var values = new List<string>();
        while (await reader.ReadAsync(Token))
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
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
