using System.Text.Json;
using ControlPlane.Core.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Resolver;

/// <summary>
/// <c>resolve</c> run as the real executable against PostgreSQL 17. Passwords are <c>env:</c> references (ENVIRONMENT=dev),
/// so the child process reads them from the environment the test gives it.
/// </summary>
public sealed class ResolveCommandTests(PostgresFixture postgres)
{
    private const string Password = "Cli-Pa55word-41d9";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_active_tenant_prints_its_connection_with_the_password_masked_unless_revealed()
    {
        var url = await CatalogWithAsync(("acme", CatalogTenantStatus.Active));

        var masked = await RunAsync(url, "resolve", "ACME");
        var revealed = await RunAsync(url, "resolve", "acme", "--reveal");
        var json = await RunAsync(url, "resolve", "acme", "--json");

        Assert.Equal((0, 0, 0), (masked.ExitCode, revealed.ExitCode, json.ExitCode));
        Assert.DoesNotContain(Password, masked.Output, StringComparison.Ordinal);
        Assert.Contains("password   ***", masked.Output, StringComparison.Ordinal);
        Assert.Contains("tenant_acme", masked.Output, StringComparison.Ordinal);
        Assert.Contains($"password   {Password}", revealed.Output, StringComparison.Ordinal);
        Assert.Contains($"Password={Password}", revealed.Output, StringComparison.Ordinal);
        var body = JsonDocument.Parse(json.Output).RootElement;
        Assert.Equal(("resolved", "***", "tenant_acme"), (body.GetProperty("status").GetString(), body.GetProperty("password").GetString(), body.GetProperty("database").GetString()));
        Assert.DoesNotContain(Password, json.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Refusals_exit_1_and_name_the_status()
    {
        var url = await CatalogWithAsync(("paused", CatalogTenantStatus.Suspended), ("fresh", CatalogTenantStatus.Provisioning));

        var suspended = await RunAsync(url, "resolve", "paused");
        var provisioning = await RunAsync(url, "resolve", "fresh", "--json");
        var unknown = await RunAsync(url, "resolve", "nobody");

        Assert.Equal((1, 1, 1), (suspended.ExitCode, provisioning.ExitCode, unknown.ExitCode));
        Assert.Contains("paused: suspended (423): unpaid invoices", suspended.Output, StringComparison.Ordinal);
        Assert.Equal("not-ready", JsonDocument.Parse(provisioning.Output).RootElement.GetProperty("status").GetString());
        Assert.Contains("nobody: no live tenant", unknown.Output, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, suspended.Output + provisioning.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_that_cannot_be_read_exits_2_with_a_clear_error_and_no_connection_string()
    {
        var url = await CatalogWithAsync(("acme", CatalogTenantStatus.Active));

        var outcome = await OperatorProcess.RunAsync(["resolve", "acme"],
            new Dictionary<string, string?> { ["CONTROL_PLANE_DATABASE_URL"] = url, ["ENVIRONMENT"] = "dev" }, Ct);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("env:ACME_DB_PASSWORD", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Host=", outcome.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("db.internal", outcome.Output, StringComparison.Ordinal);
    }

    private async Task<string> CatalogWithAsync(params (string Slug, CatalogTenantStatus Status)[] tenants)
    {
        var connectionString = await CatalogTemplate.CreateDatabaseAsync(postgres, Ct);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var catalog = new TenantCatalog(dataSource);
        foreach (var (slug, status) in tenants)
        {
            var tenant = await catalog.RegisterAsync(new TenantRegistration(slug, slug, $"tenant_{slug}", "db.internal", $"app_{slug}",
                SecretReference.Parse($"env:{slug.ToUpperInvariant()}_DB_PASSWORD")), "test", Ct);
            if (status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended)
            {
                tenant = await catalog.MarkActiveAsync(tenant.Id, "test", Ct);
            }

            if (status == CatalogTenantStatus.Suspended)
            {
                await catalog.MarkSuspendedAsync(tenant.Id, "unpaid invoices", "test", Ct);
            }
        }

        return connectionString;
    }

    private static Task<OperatorProcess.Outcome> RunAsync(string url, params string[] args) =>
        OperatorProcess.RunAsync(args, new Dictionary<string, string?>
        {
            ["CONTROL_PLANE_DATABASE_URL"] = url,
            ["ENVIRONMENT"] = "dev",
            ["ACME_DB_PASSWORD"] = Password,
            ["PAUSED_DB_PASSWORD"] = Password,
        }, Ct);
}
