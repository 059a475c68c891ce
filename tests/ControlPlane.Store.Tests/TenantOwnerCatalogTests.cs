using ControlPlane.Store.Catalog;
using ControlPlane.Testing;

namespace ControlPlane.Store.Tests;

/// <summary>The catalog's record of which Kubernetes object owns each tenant (V7, ADR-CP-007).</summary>
public sealed class TenantOwnerCatalogTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static readonly TenantOwner Acme = new("tenants", "acme", "uid-1");

    [Fact]
    public async Task Registration_records_the_owner_and_the_live_row_is_found_by_namespace_and_name()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);

        var tenant = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("acme") with { Owner = Acme }, "operator", Ct);

        Assert.Equal(Acme, tenant.Owner);
        Assert.Equal(tenant, await db.Catalog.FindLiveByOwnerAsync("tenants", "acme", Ct));
        Assert.Null(await db.Catalog.FindLiveByOwnerAsync("other", "acme", Ct));
    }

    [Fact]
    public async Task The_same_registration_from_another_object_is_a_clash_not_the_same_row()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("acme") with { Owner = Acme }, "operator", Ct);

        await Assert.ThrowsAsync<SlugTakenException>(() => db.Catalog.RegisterAsync(
            TenantCatalogTests.Registration("acme") with { Owner = new TenantOwner("intruders", "acme", "uid-2") }, "operator", Ct));
    }

    [Fact]
    public async Task One_object_owns_at_most_one_live_row()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("acme") with { Owner = Acme }, "operator", Ct);

        await Assert.ThrowsAsync<OwnerTakenException>(() => db.Catalog.RegisterAsync(
            TenantCatalogTests.Registration("other") with { Owner = Acme with { Uid = "uid-2" } }, "operator", Ct));
    }

    [Fact]
    public async Task Recording_the_owner_fills_a_legacy_row_refreshes_the_uid_once_and_never_moves_a_row_to_another_object()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var legacy = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("acme"), "operator", Ct);

        var recorded = await db.Catalog.RecordOwnerAsync(legacy.Id, Acme, "operator", Ct);
        var same = await db.Catalog.RecordOwnerAsync(legacy.Id, Acme, "operator", Ct);
        var recreated = await db.Catalog.RecordOwnerAsync(legacy.Id, Acme with { Uid = "uid-2" }, "operator", Ct);

        Assert.Equal(Acme, recorded.Owner);
        Assert.Equal(recorded, same);
        Assert.Equal("uid-2", recreated.Owner!.Uid);
        await Assert.ThrowsAsync<OwnerMismatchException>(() => db.Catalog.RecordOwnerAsync(legacy.Id, new TenantOwner("intruders", "acme"), "operator", Ct));
        var events = (await db.Catalog.GetEventsAsync(legacy.Id, 10, null, Ct)).Items.Where(e => e.EventType == CatalogEventType.OwnerRecorded.ToWire()).ToList();
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public async Task An_adoption_is_audited_once_on_both_rows()
    {
        await using var db = await MigratedDatabase.CreateAsync(postgres);
        var old = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("old") with { Owner = Acme }, "operator", Ct);
        await db.Catalog.MarkDeletingAsync(old.Id, "operator", Ct);
        await db.Catalog.MarkDeletedAsync(old.Id, "operator", Ct);
        var heir = await db.Catalog.RegisterAsync(TenantCatalogTests.Registration("heir", "tenant_old") with { Owner = new TenantOwner("tenants", "heir") }, "operator", Ct);

        await db.Catalog.RecordAdoptionAsync(heir.Id, old.Id, "operator", Ct);
        await db.Catalog.RecordAdoptionAsync(heir.Id, old.Id, "operator", Ct);

        Assert.Single((await db.Catalog.GetEventsAsync(heir.Id, 10, null, Ct)).Items, e => e.EventType == CatalogEventType.Adopted.ToWire());
        Assert.Single((await db.Catalog.GetEventsAsync(old.Id, 10, null, Ct)).Items, e => e.EventType == CatalogEventType.Adopted.ToWire());
    }
}
