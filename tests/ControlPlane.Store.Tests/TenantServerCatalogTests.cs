using ControlPlane.Store.Catalog;
using ControlPlane.Testing;

namespace ControlPlane.Store.Tests;

/// <summary>The catalog's record of the server each tenant was placed on (V15, ADR-CP-010).</summary>
public sealed class TenantServerCatalogTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Live_tenants_are_counted_per_server_leaving_out_pending_owners_and_deleted_rows()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("a1") with { DbServer = "pg-a", Owner = new TenantOwner("t", "a1") }, "operator", Ct);
        await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("a2") with { DbServer = "pg-a", Owner = new TenantOwner("t", "a2") }, "operator", Ct);
        var gone = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("b1") with { DbServer = "pg-b", Owner = new TenantOwner("t", "b1") }, "operator", Ct);
        await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("legacy"), "operator", Ct);
        await db.Catalog.MarkDeletingAsync(gone.Id, "operator", Ct);
        await db.Catalog.MarkDeletedAsync(gone.Id, "operator", Ct);

        var all = await db.Catalog.CountLiveByServerAsync([], Ct);
        var withoutPending = await db.Catalog.CountLiveByServerAsync([new TenantOwner("t", "a2")], Ct);

        Assert.Equal(2, all.Single(l => l.Server == "pg-a").Tenants);
        Assert.Equal(1, all.Single(l => l.Server is null).Tenants);
        Assert.DoesNotContain(all, l => l.Server == "pg-b");
        Assert.Equal(1, withoutPending.Single(l => l.Server == "pg-a").Tenants);
    }

    [Fact]
    public async Task The_server_of_a_legacy_row_is_recorded_once_audited_and_never_changed()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var legacy = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("acme"), "operator", Ct);
        Assert.Null(legacy.DbServer);

        var recorded = await db.Catalog.RecordServerAsync(legacy.Id, "default", "operator", Ct);
        var again = await db.Catalog.RecordServerAsync(legacy.Id, "default", "operator", Ct);

        Assert.Equal("default", recorded.DbServer);
        Assert.Equal(recorded, again);
        await Assert.ThrowsAsync<ServerMismatchException>(() => db.Catalog.RecordServerAsync(legacy.Id, "pg-b", "operator", Ct));
        var events = (await db.Catalog.GetEventsAsync(legacy.Id, 10, null, Ct)).Items.Where(e => e.EventType == CatalogEventType.ServerRecorded.ToWire()).ToList();
        Assert.Single(events);
    }

    [Fact]
    public async Task The_catalog_refuses_a_server_name_that_is_not_a_Kubernetes_name()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);

        Assert.Throws<ArgumentException>(() => (TenantCatalogTests.Registration("acme") with { DbServer = "Not_A_Name" }).Validate());
        var registered = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("acme"), "operator", Ct);
        await using var command = db.DataSource.CreateCommand("UPDATE control_plane.tenants SET db_server = 'x;drop' WHERE id = $1");
        command.Parameters.Add(new Npgsql.NpgsqlParameter { Value = registered.Id });
        var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteNonQueryAsync(Ct));
        Assert.Equal("tenants_db_server_shape", refused.ConstraintName);
    }
}
