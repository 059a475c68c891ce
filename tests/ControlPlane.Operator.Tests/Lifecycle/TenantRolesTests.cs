using ControlPlane.Client;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// The two roles of a tenant through the real operator (ADR-CP-008): what the resolver hands out is the application
/// role, with data privileges only, and suspension reaches its sessions wherever they are on the server.
/// </summary>
public sealed class TenantRolesTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_resolver_hands_out_the_application_role_which_writes_data_but_cannot_change_the_schema()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("books").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("books");
        var books = run.Tenants["books"];

        var lifecycle = cluster.CreateLifecycle(cluster.DefaultOptions());
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var resolver = new TenantConnectionResolver(
            catalog, lifecycle.Secrets, new TenantConnectionResolverOptions(), TimeProvider.System, NullLogger<TenantConnectionResolver>.Instance);
        var resolved = Assert.IsType<ResolveResult.Resolved>(await resolver.ResolveAsync("books", _ct)).Connection;

        Assert.Equal((database, database), (resolved.User, books.Status.Database!.User));
        await using var app = new NpgsqlConnection(
            cluster.TenantServer.LoginAs(resolved.User, resolved.Password.Reveal(), resolved.Database).ConnectionString);
        await app.OpenAsync(_ct);
        Assert.Equal(1, await ScalarAsync<int>(app, "INSERT INTO accounts (code, name, kind) VALUES ('1', 'Cash', 'asset'); SELECT count(*)::int FROM accounts"));
        foreach (var sql in (string[])["DROP TABLE journal_lines", "TRUNCATE accounts", "ALTER TABLE accounts ADD COLUMN x int", "CREATE TABLE x (v int)"])
        {
            var refused = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync<object>(app, sql));
            Assert.Equal(PostgresErrorCodes.InsufficientPrivilege, refused.SqlState);
        }

        Assert.Equal(database + "_owner", await ScalarAsync<string>(app, "SELECT pg_get_userbyid(datdba)::text FROM pg_database WHERE datname = current_database()"));
        Assert.Equal((true, false, -1), await world.RoleAsync(database + "_owner"));
    }

    [Fact]
    public async Task Suspension_ends_a_session_the_tenant_opened_on_the_servers_postgres_database()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("roaming").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("roaming");
        var password = (await world.GeneratedPasswordAsync("roaming"))!;
        await using var elsewhere = new NpgsqlConnection(cluster.TenantServer.LoginAs(database, password, "postgres").ConnectionString);
        await elsewhere.OpenAsync(_ct);

        await cluster.UpdateSpecAsync("roaming", s => s.Suspended = true, _ct);
        await world.WaitForAsync("roaming", t => t.Status.Phase == TenantPhases.Suspended, "Suspended");

        await Assert.ThrowsAnyAsync<NpgsqlException>(() => ScalarAsync<int>(elsewhere, "SELECT 1"));
    }

    private async Task<T> ScalarAsync<T>(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)(await command.ExecuteScalarAsync(_ct))!;
    }
}
