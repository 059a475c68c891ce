using System.Text.Json;
using ControlPlane.Operator.Commands;
using ControlPlane.Store.Health;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests;

/// <summary>The <c>migrate</c> and <c>health</c> commands, run as the real executable against PostgreSQL 17.</summary>
public sealed class HealthCommandTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("15m", 900)]
    [InlineData("90s", 90)]
    [InlineData("2h", 7200)]
    [InlineData("1d", 86400)]
    [InlineData("0.5h", 1800)]
    [InlineData("00:20:00", 1200)]
    public void Durations_are_read_as_operators_write_them(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), HealthCommand.ParseDuration(text));

    [Theory]
    [InlineData("")]
    [InlineData("soon")]
    [InlineData("-5m")]
    [InlineData("15x")]
    public void Nonsense_durations_are_refused(string text) => Assert.Null(HealthCommand.ParseDuration(text));

    [Fact]
    public async Task Health_on_a_freshly_migrated_catalog_exits_0()
    {
        var url = await NewDatabaseUrlAsync();
        Assert.Equal(0, (await RunAsync(url, "migrate")).ExitCode);

        var health = await RunAsync(url, "health");

        Assert.Equal(0, health.ExitCode);
        Assert.Contains("Catalog healthy.", health.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_exits_1_and_names_each_offending_tenant()
    {
        var url = await NewDatabaseUrlAsync();
        Assert.Equal(0, (await RunAsync(url, "migrate")).ExitCode);
        await using (var dataSource = NpgsqlDataSource.Create(ConnectionStringOf(url)))
        await using (var seed = dataSource.CreateCommand("""
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, created_at)
            VALUES ('stuck-co', 'Stuck Co', 'tenant_stuck', 'db', 'app', 'mock:stuck', now() - interval '2 hours')
            """))
        {
            await seed.ExecuteNonQueryAsync(Ct);
        }

        var text = await RunAsync(url, "health");
        var json = await RunAsync(url, "health", "--json", "--stuck-after", "3h");

        Assert.Equal(1, text.ExitCode);
        Assert.Contains("FAIL  stuck_provisioning", text.Output, StringComparison.Ordinal);
        Assert.Contains("FAIL  tenants_without_events", text.Output, StringComparison.Ordinal);
        Assert.Contains("stuck-co (", text.Output, StringComparison.Ordinal);
        Assert.Equal(1, json.ExitCode);
        using var report = JsonDocument.Parse(json.Output);
        var failed = report.RootElement.GetProperty("checks").EnumerateArray().Where(c => !c.GetProperty("passed").GetBoolean()).ToList();
        Assert.Equal("tenants_without_events", Assert.Single(failed).GetProperty("name").GetString());
        Assert.Equal("stuck-co", failed[0].GetProperty("offenders")[0].GetProperty("slug").GetString());
    }

    [Fact]
    public async Task Health_exits_2_when_the_catalog_is_not_migrated_or_the_window_is_nonsense()
    {
        var url = await NewDatabaseUrlAsync();

        var unmigrated = await RunAsync(url, "health");
        var badWindow = await RunAsync(url, "health", "--stuck-after", "soon");

        Assert.Equal(2, unmigrated.ExitCode);
        Assert.Contains("run `migrate`", unmigrated.Output, StringComparison.Ordinal);
        Assert.Equal(2, badWindow.ExitCode);
    }

    [Fact]
    public void The_text_report_lists_every_check_and_every_offender()
    {
        var id = Guid.NewGuid();
        var report = new HealthReport(TimeSpan.FromMinutes(15),
        [
            new HealthCheckResult("duplicate_slugs", "d", []),
            new HealthCheckResult("stuck_provisioning", "s", [new HealthOffender(id, "acme", "provisioning since yesterday")]),
        ])
        {
            SchemaVersions = [new SchemaVersionCount("2", 18, 0), new SchemaVersionCount("3", 2, 1)],
        };

        var text = HealthCommand.FormatText(report);

        Assert.Contains("Schema versions (live tenants): 2: 18, 3: 2 (1 misaligned)", text, StringComparison.Ordinal);

        Assert.Contains("ok    duplicate_slugs", text, StringComparison.Ordinal);
        Assert.Contains($"acme ({id}): provisioning since yesterday", text, StringComparison.Ordinal);
        Assert.Equal(1, HealthCommand.ExitCodeOf(report));
    }

    private Task<string> NewDatabaseUrlAsync() => postgres.CreateDatabaseAsync(cancellationToken: Ct);

    private static string ConnectionStringOf(string url) => Store.Connection.DatabaseUrl.Parse(url).ConnectionString;

    private static Task<OperatorProcess.Outcome> RunAsync(string url, params string[] args) =>
        OperatorProcess.RunAsync(args, new Dictionary<string, string?> { ["CONTROL_PLANE_DATABASE_URL"] = url }, Ct);
}
