using ControlPlane.Store.Catalog;

namespace ControlPlane.Store.Tests;

/// <summary>
/// The text of every catalog event type, spelled out: the rows of <c>control_plane.event_types</c> (which
/// <see cref="SchemaRulesTests"/> compares with the migrations' seed), the audit rows already written and the
/// dashboards reading them. Renaming a member must never change one.
/// </summary>
public sealed class CatalogEventTypeTests
{
    [Fact]
    public void Catalog_event_types_keep_their_stored_text()
    {
        Assert.Equal(
        [
            "provisioned", "migrated", "suspended", "resumed", "deleting", "deleted", "status_changed", "error", "profile_updated",
            "limits_updated", "owner_recorded", "adopted", "cleanup_skipped", "drift_repaired", "credentials_rotated", "server_recorded",
            "audit_finding",
        ], Enum.GetValues<CatalogEventType>().Select(t => t.ToWire()));
    }

    [Fact]
    public void A_stored_type_reads_back_as_its_member_and_an_unknown_one_is_not_a_failure()
    {
        Assert.All(Enum.GetValues<CatalogEventType>(), type => Assert.True(CatalogEventTypes.TryParse(type.ToWire(), out var back) && back == type));
        Assert.False(CatalogEventTypes.TryParse("written_by_a_newer_version", out _));
        Assert.False(CatalogEventTypes.TryParse("StatusChanged", out _));
        Assert.False(CatalogEventTypes.TryParse(null, out _));
    }
}
