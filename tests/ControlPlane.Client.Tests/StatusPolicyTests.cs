using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Client.Tests;

/// <summary>The status policy (ADR-CP-005) against real catalog rows in PostgreSQL 17.</summary>
public sealed class StatusPolicyTests(PostgresFixture postgres)
{
    [Fact]
    public async Task An_active_tenant_resolves_to_its_connection_with_the_password_from_the_secret_manager()
    {
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver();
        var tenant = await harness.AddTenantAsync("acme", CatalogTenantStatus.Active, password: "Pa55-acme-only");

        var result = await resolver.ResolveAsync("acme", TestContext.Current.CancellationToken);

        var connection = Assert.IsType<ResolveResult.Resolved>(result).Connection;
        Assert.Equal((tenant.Id, "acme", "db.internal", 6432, tenant.DbName, tenant.DbUser), (connection.TenantId, connection.Slug, connection.Host, connection.Port, connection.Database, connection.User));
        Assert.Equal("Pa55-acme-only", connection.Password.Reveal());
        var dsn = new NpgsqlConnectionStringBuilder(connection.RevealConnectionString());
        Assert.Equal(("db.internal", 6432, tenant.DbName, tenant.DbUser, "Pa55-acme-only"), (dsn.Host, dsn.Port, dsn.Database, dsn.Username, dsn.Password));
        Assert.DoesNotContain("Pa55-acme-only", connection.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Pa55-acme-only", result.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(CatalogTenantStatus.Provisioning, false, "NotReady:Provisioning")]
    [InlineData(CatalogTenantStatus.Deleting, false, "NotReady:Deleting")]
    [InlineData(CatalogTenantStatus.Suspended, false, "Suspended:unpaid invoices")]
    [InlineData(CatalogTenantStatus.Suspended, true, "Suspended:unpaid invoices")]
    [InlineData(CatalogTenantStatus.Provisioning, true, "NotReady:Provisioning")]
    [InlineData(CatalogTenantStatus.Active, true, "Maintenance:30")]
    [InlineData(CatalogTenantStatus.Deleted, false, "NotFound")]
    public async Task Each_status_gets_its_refusal_and_the_maintenance_flag_refines_only_active(CatalogTenantStatus status, bool maintenance, string expected)
    {
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver();
        var tenant = await harness.AddTenantAsync("acme", status);
        if (maintenance)
        {
            await harness.SetMaintenanceAsync(tenant, on: true);
        }

        var result = await resolver.ResolveAsync("acme", TestContext.Current.CancellationToken);

        Assert.Equal(expected, result switch
        {
            ResolveResult.NotReady r => $"NotReady:{r.Status}",
            ResolveResult.Suspended r => $"Suspended:{r.Reason}",
            ResolveResult.Maintenance r => $"Maintenance:{r.RetryAfter.TotalSeconds}",
            ResolveResult.NotFound => "NotFound",
            ResolveResult.Resolved => "Resolved",
            _ => result.GetType().Name,
        });
    }

    [Fact]
    public async Task Slugs_resolve_in_any_case_to_the_tenant_registered_with_its_own_case()
    {
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver();
        var tenant = await harness.AddTenantAsync("Acme-Corp", CatalogTenantStatus.Active);

        foreach (var spelling in new[] { "acme-corp", "ACME-CORP", "Acme-Corp", "aCmE-cOrP" })
        {
            var result = await resolver.ResolveAsync(spelling, TestContext.Current.CancellationToken);
            Assert.Equal(tenant.Id, Assert.IsType<ResolveResult.Resolved>(result).Connection.TenantId);
        }
    }

    [Theory]
    [InlineData("nobody")]
    [InlineData("")]
    [InlineData("-acme")]
    [InlineData("acme_corp")]
    [InlineData("acme'; DROP TABLE control_plane.tenants; --")]
    [InlineData("ácme")]
    public async Task Unknown_and_invalid_slugs_are_not_found(string slug)
    {
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver();
        await harness.AddTenantAsync("acme", CatalogTenantStatus.Active);

        var result = await resolver.ResolveAsync(slug, TestContext.Current.CancellationToken);

        Assert.Equal(slug, Assert.IsType<ResolveResult.NotFound>(result).Slug);
        Assert.IsType<ResolveResult.Resolved>(await resolver.ResolveAsync("acme", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_soft_deleted_tenant_is_not_found_and_its_slug_reused_later_resolves_to_the_new_tenant()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver();
        await resolver.StartAsync(cancellationToken);
        var old = await harness.AddTenantAsync("acme", CatalogTenantStatus.Active, password: "old-password");
        Assert.Equal(old.Id, Assert.IsType<ResolveResult.Resolved>(await resolver.ResolveAsync("acme", cancellationToken)).Connection.TenantId);

        await harness.Catalog.MarkDeletingAsync(old.Id, "test", cancellationToken);
        await harness.Catalog.MarkDeletedAsync(old.Id, "test", cancellationToken);
        await Eventually.AsyncIs<ResolveResult.NotFound>(() => resolver.ResolveAsync("acme", cancellationToken), TimeSpan.FromSeconds(1));

        var reborn = await harness.AddTenantAsync("ACME", CatalogTenantStatus.Active, password: "new-password");
        var connection = Assert.IsType<ResolveResult.Resolved>(
            await Eventually.AsyncIs<ResolveResult.Resolved>(() => resolver.ResolveAsync("acme", cancellationToken), TimeSpan.FromSeconds(1))).Connection;
        Assert.Equal((reborn.Id, "ACME", "new-password"), (connection.TenantId, connection.Slug, connection.Password.Reveal()));
    }
}
