using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests;

public sealed class MigrateCommandTests(PostgresFixture postgres)
{
    [Fact]
    public async Task Migrate_applies_the_catalog_once_and_a_second_run_changes_nothing()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var database = await postgres.CreateDatabaseAsync(cancellationToken: cancellationToken);
        // dev: the test server has no TLS, which staging refuses (.ci/run migrates in staging against a TLS server).
        var environment = new Dictionary<string, string?> { ["CONTROL_PLANE_DATABASE_URL"] = database, ["ENVIRONMENT"] = "dev" };

        var first = await OperatorProcess.RunAsync(["migrate"], environment, cancellationToken);
        var applied = await CountAppliedAsync(database, cancellationToken);
        var second = await OperatorProcess.RunAsync(["migrate"], environment, cancellationToken);

        Assert.Equal(0, first.ExitCode);
        Assert.Contains("Applied", first.Output, StringComparison.Ordinal);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("nothing applied", second.Output, StringComparison.Ordinal);
        Assert.Equal(applied, await CountAppliedAsync(database, cancellationToken));
    }

    [Fact]
    public async Task Create_database_creates_a_missing_catalog_database()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var name = "catalog_" + Guid.NewGuid().ToString("N");
        var url = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Database = name }.ConnectionString;
        var environment = new Dictionary<string, string?> { ["CONTROL_PLANE_DATABASE_URL"] = url };

        var withoutFlag = await OperatorProcess.RunAsync(["migrate"], environment, cancellationToken);
        var withFlag = await OperatorProcess.RunAsync(["migrate", "--create-database"], environment, cancellationToken);

        Assert.Equal(2, withoutFlag.ExitCode);
        Assert.Equal(0, withFlag.ExitCode);
        Assert.Contains($"Created database {name}", withFlag.Output, StringComparison.Ordinal);
        Assert.True(await CountAppliedAsync(url, cancellationToken) > 0);
    }

    [Fact]
    public async Task Staging_without_a_database_url_refuses_to_fall_back_to_the_embedded_server()
    {
        var outcome = await OperatorProcess.RunAsync(
            ["migrate"], new Dictionary<string, string?> { ["ENVIRONMENT"] = "staging" }, TestContext.Current.CancellationToken);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("CONTROL_PLANE_DATABASE_URL is required when ENVIRONMENT=staging", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_malformed_url_fails_without_printing_the_password()
    {
        var outcome = await OperatorProcess.RunAsync(
            ["migrate"],
            new Dictionary<string, string?> { ["CONTROL_PLANE_DATABASE_URL"] = "postgresql+psycopg://app:Hunter2Hunter2@/platform_admin" },
            TestContext.Current.CancellationToken);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("CONTROL_PLANE_DATABASE_URL is invalid", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Hunter2Hunter2", outcome.Output, StringComparison.Ordinal);
    }

    private static async Task<long> CountAppliedAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("SELECT count(*) FROM control_plane.changelog", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
