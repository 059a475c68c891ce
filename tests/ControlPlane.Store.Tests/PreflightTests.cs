using ControlPlane.Store.Preflight;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Store.Tests;

public sealed class PreflightTests(PostgresFixture postgres)
{
    /// <summary>The machine's own PostgreSQL, which the specification rejects.</summary>
    private const string PostgreSql15Bin = "/usr/lib/postgresql/15/bin";

    [Fact]
    public async Task PostgreSQL_17_with_pgcrypto_passes()
    {
        var facts = await PostgresPreflight.CheckAsync(postgres.Admin, TestContext.Current.CancellationToken);

        Assert.True(facts.VersionNumber >= 170000, $"server_version_num {facts.VersionNumber}");
        Assert.True(facts.PgcryptoAvailable);
    }

    [Fact]
    public async Task PostgreSQL_15_is_refused_with_a_message_that_says_what_to_do()
    {
        if (!File.Exists(Path.Combine(PostgreSql15Bin, "pg_ctl")))
        {
            Assert.Skip($"PostgreSQL 15 binaries are not installed at {PostgreSql15Bin} (apt-get install postgresql-15).");
        }

        var cancellationToken = TestContext.Current.CancellationToken;
        await using var server = await EmbeddedTestServer.StartAsync(cancellationToken, PostgreSql15Bin);
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);

        var error = await Assert.ThrowsAsync<PreflightException>(() => PostgresPreflight.CheckAsync(dataSource, cancellationToken));

        Assert.StartsWith("PostgreSQL 17 or newer is required", error.Message, StringComparison.Ordinal);
        Assert.Contains("runs 15.", error.Message, StringComparison.Ordinal);
        Assert.Contains("CONTROL_PLANE_DATABASE_URL", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task A_server_without_pgcrypto_is_refused()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync(cancellationToken: cancellationToken);
        await using var dataSource = NpgsqlDataSource.Create(database);

        // pg_available_extensions reads the server's extension folder; hiding it from one session is not
        // possible, so the check is exercised on its decision input instead: a view that reports no pgcrypto.
        await using (var hide = dataSource.CreateCommand("""
            CREATE SCHEMA shadow;
            CREATE VIEW shadow.pg_available_extensions AS
                SELECT * FROM pg_catalog.pg_available_extensions WHERE name <> 'pgcrypto';
            """))
        {
            await hide.ExecuteNonQueryAsync(cancellationToken);
        }

        var shadowed = new NpgsqlConnectionStringBuilder(database) { SearchPath = "shadow, pg_catalog", Pooling = false };
        await using var shadowedSource = NpgsqlDataSource.Create(shadowed.ConnectionString);

        var error = await Assert.ThrowsAsync<PreflightException>(() => PostgresPreflight.CheckAsync(shadowedSource, cancellationToken));
        Assert.StartsWith("The pgcrypto extension is not available", error.Message, StringComparison.Ordinal);
    }
}
