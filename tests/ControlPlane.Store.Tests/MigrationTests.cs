using ControlPlane.Store.Embedded;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Preflight;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

public sealed class MigrationTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrating_an_empty_database_twice_applies_nothing_the_second_time()
    {
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(cancellationToken: Ct));

        var first = await CatalogMigrator.MigrateAsync(dataSource, MigratedDatabase.ScriptsDirectory, _ => { }, Ct);
        var second = await CatalogMigrator.MigrateAsync(dataSource, MigratedDatabase.ScriptsDirectory, _ => { }, Ct);

        var scripts = Directory.GetFiles(MigratedDatabase.ScriptsDirectory, "*.sql");
        Assert.Equal(scripts.Length, first.Applied);
        Assert.Equal((0, first.Version), (second.Applied, second.Version));
        Assert.Equal(
            scripts.Count(s => Path.GetFileName(s).StartsWith('V')).ToString(System.Globalization.CultureInfo.InvariantCulture),
            second.Version);
    }

    [Fact]
    public async Task Migrating_against_PostgreSQL_15_fails_in_preflight_with_the_promised_message()
    {
        const string pg15 = "/usr/lib/postgresql/15/bin";
        Assert.SkipUnless(File.Exists(Path.Combine(pg15, "pg_ctl")), $"no PostgreSQL 15 binaries at {pg15}");
        await using var server = await EmbeddedPostgresServer.StartAsync(
            new EmbeddedPostgresOptions { InstanceDirectory = Path.Combine(EmbeddedTestServer.Root, $"pg15-{Guid.NewGuid():N}"), BinDirectory = pg15 },
            Ct);
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);

        var error = await Assert.ThrowsAsync<PreflightException>(() => PostgresPreflight.CheckAsync(dataSource, Ct));

        Assert.StartsWith("PostgreSQL 17 or newer is required but the server at 127.0.0.1:", error.Message, StringComparison.Ordinal);
        Assert.Contains("runs 15.", error.Message, StringComparison.Ordinal);
    }
}
