using ControlPlane.Store.TenantDatabases;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests.TenantDatabases;

/// <summary>
/// Code planted in a tenant database with the strongest rights a tenant can hold there (the database owner's) fires
/// during a schema raise; it must find no admin authority to borrow. Each payload tries, after <c>RESET ROLE</c>, to
/// create a role, to grant the tenant CREATEDB and to change an object of the admin's own; every attempt is caught so
/// the migration goes on and the test sees exactly what the payload could do.
/// </summary>
public sealed class TenantCodeIsolationTests(PostgresFixture postgres) : IAsyncLifetime
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
    public async Task A_trigger_planted_on_the_changelog_finds_no_admin_authority_during_a_schema_raise()
    {
        var spec = await ProvisionAtVersionOneAsync("trigger");
        await PlantAsDatabaseOwnerAsync(spec, $"""
            {Payload(spec)}
            CREATE FUNCTION public.changelog_hook() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM public.payload(); RETURN NEW; END $$;
            CREATE TRIGGER changelog_hook BEFORE INSERT ON public.{TenantSchemaMigrator.MetadataTable}
                FOR EACH ROW EXECUTE FUNCTION public.changelog_hook();
            """);

        await RaiseSchemaAsync(spec);

        await AssertNoTraceOfAdminAuthorityAsync(spec);
        Assert.Equal([spec.OwnerRole], await FiredAsync(spec));
    }

    [Fact]
    public async Task A_function_shadowing_a_built_in_finds_no_admin_authority_during_a_schema_raise()
    {
        var spec = await ProvisionAtVersionOneAsync("shadow");

        // Evolve locks with pg_try_advisory_lock(<integer literal>); an (integer) overload is an exact match and wins
        // over pg_catalog's (bigint) one whatever the search_path says.
        await PlantAsDatabaseOwnerAsync(spec, $"""
            {Payload(spec)}
            CREATE FUNCTION public.pg_try_advisory_lock(integer) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN PERFORM public.payload(); RETURN pg_catalog.pg_try_advisory_lock($1::bigint); END $$;
            CREATE FUNCTION public.pg_advisory_unlock(integer) RETURNS boolean LANGUAGE plpgsql AS $$
            BEGIN PERFORM public.payload(); RETURN pg_catalog.pg_advisory_unlock($1::bigint); END $$;
            """);

        await RaiseSchemaAsync(spec);

        await AssertNoTraceOfAdminAuthorityAsync(spec);
        Assert.Equal([spec.OwnerRole], await FiredAsync(spec));
    }

    [Fact]
    public async Task A_database_search_path_planted_before_a_schema_raise_finds_no_admin_authority()
    {
        var spec = await ProvisionAtVersionOneAsync("searchpath");

        // Tenant relations ahead of pg_catalog's for every session that opens this database without pinning search_path.
        await PlantAsDatabaseOwnerAsync(spec, $"""
            {Payload(spec)}
            CREATE FUNCTION public.fire() RETURNS boolean LANGUAGE plpgsql AS $$ BEGIN PERFORM public.payload(); RETURN true; END $$;
            CREATE VIEW public.pg_extension AS SELECT e.* FROM pg_catalog.pg_extension e WHERE public.fire();
            CREATE VIEW public.pg_class AS SELECT c.* FROM pg_catalog.pg_class c WHERE public.fire();
            CREATE VIEW public.pg_namespace AS SELECT n.* FROM pg_catalog.pg_namespace n WHERE public.fire();
            CREATE VIEW public.pg_type AS SELECT t.* FROM pg_catalog.pg_type t WHERE public.fire();
            ALTER DATABASE {spec.Database} SET search_path = public, pg_catalog;
            """);

        await RaiseSchemaAsync(spec);

        // search_path is pinned in the startup packet, so the planted views are not even reached; were they, they would run as the owner.
        await AssertNoTraceOfAdminAuthorityAsync(spec);
        Assert.All(await FiredAsync(spec), who => Assert.Equal(spec.OwnerRole, who));
    }

    /// <summary>One tenant id per name, so every call for the same tenant carries the same ownership.</summary>
    private TenantDatabaseTarget Spec(string name) =>
        new(_server.Prefix + name, _server.Prefix + name, 7, Suspended: false)
        {
            Ownership = new(new Guid(System.Security.Cryptography.MD5.HashData(System.Text.Encoding.UTF8.GetBytes(_server.Prefix + name)))),
        };

    private async Task<TenantDatabaseTarget> ProvisionAtVersionOneAsync(string name)
    {
        var spec = Spec(name);
        await _administrator.ConvergeAsync(spec, ScramVerifier.Compute(Password), Token);
        await _administrator.MigrateAsync(spec, _migrator, SchemaVersion.Parse("1"), Token);

        // The admin's own object the payload will try to change: a database it created for itself.
        await ExecuteAsAdminAsync($"CREATE DATABASE {AdminDatabase(spec)}");
        return spec;
    }

    private Task RaiseSchemaAsync(TenantDatabaseTarget spec) =>
        _administrator.MigrateAsync(spec, _migrator, _migrator.LatestVersion, Token);

    private string Stolen(TenantDatabaseTarget spec) => spec.Role + "_stolen";

    private static string AdminDatabase(TenantDatabaseTarget spec) => spec.Database + "_admins";

    /// <summary><c>public.payload()</c>: everything the admin could do and a tenant cannot, each attempt on its own.</summary>
    private string Payload(TenantDatabaseTarget spec) => $$"""
        CREATE TABLE public.fired (who text);
        CREATE FUNCTION public.payload() RETURNS void LANGUAGE plpgsql AS $payload$
        BEGIN
            INSERT INTO public.fired VALUES (session_user);
            RESET ROLE;
            BEGIN EXECUTE 'CREATE ROLE {{Stolen(spec)}} LOGIN PASSWORD ''stolen'''; EXCEPTION WHEN OTHERS THEN NULL; END;
            BEGIN EXECUTE 'ALTER ROLE {{spec.Role}} CREATEDB'; EXCEPTION WHEN OTHERS THEN NULL; END;
            BEGIN EXECUTE 'COMMENT ON DATABASE {{AdminDatabase(spec)}} IS ''pwned'''; EXCEPTION WHEN OTHERS THEN NULL; END;
            BEGIN EXECUTE 'GRANT CONNECT ON DATABASE {{AdminDatabase(spec)}} TO {{spec.Role}}'; EXCEPTION WHEN OTHERS THEN NULL; END;
        END $payload$;
        """;

    private async Task AssertNoTraceOfAdminAuthorityAsync(TenantDatabaseTarget spec)
    {
        Assert.False(await AsSuperuserAsync<bool>("postgres", $"SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{Stolen(spec)}')"), "a role was created");
        Assert.False(await AsSuperuserAsync<bool>("postgres", $"SELECT rolcreatedb FROM pg_roles WHERE rolname = '{spec.Role}'"), "the tenant got CREATEDB");
        Assert.Null(await AsSuperuserAsync<string?>("postgres",
            $"SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '{AdminDatabase(spec)}'"));
        Assert.False(await AsSuperuserAsync<bool>("postgres",
            $"SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = '{AdminDatabase(spec)}' AND a.grantee = '{spec.Role}'::regrole)"),
            "a grant on the admin's database was made");
        Assert.Equal(_migrator.LatestVersion, await CurrentVersionAsync(spec));
    }

    /// <summary>The distinct session users the payload ran under: proof that it ran, and with whose login.</summary>
    private async Task<List<string>> FiredAsync(TenantDatabaseTarget spec)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString)
        {
            Database = spec.Database,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand("SELECT DISTINCT who FROM public.fired ORDER BY 1", connection);
        await using var reader = await command.ExecuteReaderAsync(Token);
        var who = new List<string>();
        while (await reader.ReadAsync(Token))
        {
            who.Add(reader.GetString(0));
        }

        return who;
    }

    private async Task<SchemaVersion?> CurrentVersionAsync(TenantDatabaseTarget spec)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString)
        {
            Database = spec.Database,
            Pooling = false,
            SearchPath = "pg_catalog",
        }.ConnectionString);
        await connection.OpenAsync(Token);
        return await TenantSchemaMigrator.CurrentVersionAsync(connection, Token);
    }

    /// <summary>Runs SQL in the tenant database with the rights of whoever owns it (through the superuser's SET ROLE).</summary>
    private async Task PlantAsDatabaseOwnerAsync(TenantDatabaseTarget spec, string sql)
    {
        var owner = await AsSuperuserAsync<string>("postgres", $"SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = '{spec.Database}'");
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString)
        {
            Database = spec.Database,
            Pooling = false,
        }.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand($"SET ROLE \"{owner}\"; {sql}", connection);
        await command.ExecuteNonQueryAsync(Token);
    }

    private async Task<T> AsSuperuserAsync<T>(string database, string sql)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString)
        {
            Database = database,
            Pooling = false,
            SearchPath = "pg_catalog",
        }.ConnectionString);
        await connection.OpenAsync(Token);
        await using var command = new NpgsqlCommand(sql, connection);
        var value = await command.ExecuteScalarAsync(Token);
        return value is DBNull ? default! : (T)value!;
    }

    private async Task ExecuteAsAdminAsync(string sql)
    {
        await using var command = _admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }
}
