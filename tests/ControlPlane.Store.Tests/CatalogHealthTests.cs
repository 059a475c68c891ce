using ControlPlane.Store.Catalog;
using ControlPlane.Store.Health;
using ControlPlane.Testing;

namespace ControlPlane.Store.Tests;

/// <summary>
/// Each §9 check finds a seeded anomaly and nothing on a clean catalog. Where a constraint already forbids the
/// anomaly, the test drops that constraint in its own database first: the checks exist for catalogs restored
/// from backups or edited by hand, where constraints cannot be assumed.
/// </summary>
public sealed class CatalogHealthTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_clean_catalog_passes_every_check()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);

        var report = await CatalogHealth.CheckAsync(db.DataSource, CatalogHealth.DefaultStuckAfter, Ct);

        Assert.True(report.Healthy, string.Join("; ", report.Checks.SelectMany(c => c.Offenders.Select(o => $"{c.Name}: {o.Slug} {o.Detail}"))));
        Assert.Equal(CatalogHealth.Checks.Select(c => c.Name), report.Checks.Select(c => c.Name));
    }

    [Fact]
    public async Task Duplicate_live_slugs_are_reported_by_name()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        await db.ExecuteAsync("DROP INDEX control_plane.tenants_slug_live_key");
        await WithEventAsync(db, await db.InsertRawTenantAsync("Acme", "tenant_acme_copy"));

        var check = await FailingCheckAsync(db, "duplicate_slugs");

        Assert.Equal(["Acme", "acme"], check.Offenders.Select(o => o.Slug).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Duplicate_live_database_names_are_reported_by_name()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        await db.ExecuteAsync("DROP INDEX control_plane.tenants_db_name_live_key");
        await WithEventAsync(db, await db.InsertRawTenantAsync("copycat", "TENANT_ACME"));

        var check = await FailingCheckAsync(db, "duplicate_db_names");

        Assert.Equal(["acme", "copycat"], check.Offenders.Select(o => o.Slug).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_tenant_without_events_is_reported()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        await db.InsertRawTenantAsync("ghost", "tenant_ghost");

        var check = await FailingCheckAsync(db, "tenants_without_events");

        Assert.Equal("ghost", Assert.Single(check.Offenders).Slug);
    }

    [Fact]
    public async Task A_tenant_provisioning_longer_than_the_window_is_reported_and_a_wider_window_passes()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        var slow = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("slow"), "operator", Ct);
        await db.ExecuteAsync("UPDATE control_plane.tenants SET created_at = now() - interval '40 minutes' WHERE id = $1", slow.Id);

        var check = await FailingCheckAsync(db, "stuck_provisioning");
        var wide = await CatalogHealth.CheckAsync(db.DataSource, TimeSpan.FromHours(1), Ct);

        Assert.Equal(slow.Id, Assert.Single(check.Offenders).TenantId);
        Assert.True(wide.Healthy);
    }

    [Fact]
    public async Task A_schema_version_that_differs_from_the_last_migration_is_reported()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        var acme = (await db.Catalog.FindBySlugAsync("acme", Ct))!;
        await db.ExecuteAsync("UPDATE control_plane.tenants SET schema_version = '9.9' WHERE id = $1", acme.Id);

        var check = await FailingCheckAsync(db, "schema_version_drift");

        var offender = Assert.Single(check.Offenders);
        Assert.Equal("acme", offender.Slug);
        Assert.Contains("9.9", offender.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_report_counts_live_tenants_per_schema_version_and_the_misaligned_ones()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        foreach (var slug in new[] { "beta", "gamma" })
        {
            var tenant = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration(slug), "operator", Ct);
            await db.Catalog.RecordMigrationAsync(tenant.Id, null, "2", "operator", Ct);
        }

        await db.ExecuteAsync("UPDATE control_plane.tenants SET schema_version = '3' WHERE slug = 'gamma'");

        var report = await CatalogHealth.CheckAsync(db.DataSource, CatalogHealth.DefaultStuckAfter, Ct);

        Assert.Equal(
            [new SchemaVersionCount("(none)", 3, 0), new SchemaVersionCount("1.1", 1, 0), new SchemaVersionCount("2", 1, 0), new SchemaVersionCount("3", 1, 1)],
            report.SchemaVersions);
    }

    [Fact]
    public async Task Soft_delete_incoherence_is_reported()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await SeedHealthyTenantsAsync(db);
        await db.ExecuteAsync("ALTER TABLE control_plane.tenants DROP CONSTRAINT tenants_soft_delete_coherent");
        await db.ExecuteAsync("UPDATE control_plane.tenants SET deleted_at = now() WHERE slug = 'acme'");

        var check = await FailingCheckAsync(db, "soft_delete_incoherent");

        Assert.Equal("acme", Assert.Single(check.Offenders).Slug);
    }

    private static Task WithEventAsync(MigratedDatabase db, Guid tenantId) =>
        db.ExecuteAsync("INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor) VALUES ($1, 'status_changed', 'test')", tenantId);

    private static async Task<HealthCheckResult> FailingCheckAsync(MigratedDatabase db, string name)
    {
        var report = await CatalogHealth.CheckAsync(db.DataSource, CatalogHealth.DefaultStuckAfter, Ct);
        Assert.False(report.Healthy);
        Assert.Equal([name], report.Checks.Where(c => !c.Passed).Select(c => c.Name));
        return report.Checks.Single(c => c.Name == name);
    }

    /// <summary>Tenants in every state, written through the catalog API, so the clean baseline is realistic.</summary>
    private static async Task SeedHealthyTenantsAsync(MigratedDatabase db)
    {
        var catalog = db.Catalog;
        var acme = await catalog.RegisterAsync(TenantCatalogTests.Registration("acme"), "operator", Ct);
        await catalog.RecordMigrationAsync(acme.Id, null, "1.0", "operator", Ct);
        await catalog.RecordMigrationAsync(acme.Id, "1.0", "1.1", "operator", Ct);
        await catalog.MarkActiveAsync(acme.Id, "operator", Ct);

        var paused = await catalog.RegisterAsync(TenantCatalogTests.Registration("paused"), "operator", Ct);
        await catalog.MarkActiveAsync(paused.Id, "operator", Ct);
        await catalog.MarkSuspendedAsync(paused.Id, "unpaid", "operator", Ct);

        var gone = await catalog.RegisterAsync(TenantCatalogTests.Registration("gone"), "operator", Ct);
        await catalog.MarkDeletingAsync(gone.Id, "operator", Ct);
        await catalog.MarkDeletedAsync(gone.Id, "operator", Ct);
        await catalog.RegisterAsync(TenantCatalogTests.Registration("gone"), "operator", Ct);

        await catalog.RegisterAsync(TenantCatalogTests.Registration("fresh"), "operator", Ct);
    }
}
