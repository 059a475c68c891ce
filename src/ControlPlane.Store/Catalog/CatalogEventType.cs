using ControlPlane.Core.Wire;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// The kinds of audit row of <c>control_plane.tenant_events</c>: the rows of <c>control_plane.event_types</c> (seeded by
/// V3, extended by the migrations named below). The catalog stores the snake_case text of <see cref="CatalogEventTypes.ToWire"/>.
/// </summary>
public enum CatalogEventType
{
    /// <summary>The tenant's database was provisioned and the tenant became active.</summary>
    Provisioned,

    /// <summary>The tenant's schema was migrated to a new version.</summary>
    Migrated,

    /// <summary>The tenant was suspended (the payload carries the reason).</summary>
    Suspended,

    /// <summary>A suspended tenant was resumed.</summary>
    Resumed,

    /// <summary>The tenant's deletion started.</summary>
    Deleting,

    /// <summary>The tenant's deletion finished; the row is soft-deleted.</summary>
    Deleted,

    /// <summary>The row's status changed (written beside the intent's own event).</summary>
    StatusChanged,

    /// <summary>A reconcile failure was shown (the payload carries the Ready reason and message).</summary>
    Error,

    /// <summary>The tenant's profile (display name, contact…) changed.</summary>
    ProfileUpdated,

    /// <summary>The tenant's limits changed.</summary>
    LimitsUpdated,

    /// <summary>The Kubernetes object owning the tenant was recorded (upgrade) or re-created with a new uid (V7).</summary>
    OwnerRecorded,

    /// <summary>A deleted tenant's retained database and role were explicitly adopted (V7).</summary>
    Adopted,

    /// <summary>Deletion released by the skip-cleanup annotation without (full) cleanup (V12).</summary>
    CleanupSkipped,

    /// <summary>The resync restored what was changed by hand: a dropped database or role, a login state, a connection limit, the schema (V13).</summary>
    DriftRepaired,

    /// <summary>The tenant's database password was rotated, once per rotation request (V14).</summary>
    CredentialsRotated,

    /// <summary>The server a row registered before placement lives on was recorded from its Tenant (V15).</summary>
    ServerRecorded,

    /// <summary>The estate audit found an orphan or a mismatch of this tenant; nothing was changed (V16).</summary>
    AuditFinding,
}

/// <summary>
/// The text of each <see cref="CatalogEventType"/> in <c>tenant_events.event_type</c>, and back. As for every reason
/// type of the code base: <see cref="ToWire"/> is the only way to the wire (an exhaustive switch, so a renamed member
/// keeps its text and a new member does not compile without one) and <see cref="TryParse"/> (through
/// <see cref="WireValues"/>) the only way back.
/// </summary>
public static class CatalogEventTypes
{
    /// <summary>The row of <c>control_plane.event_types</c> (snake_case).</summary>
    public static string ToWire(this CatalogEventType type) => type switch
    {
        CatalogEventType.Provisioned => "provisioned",
        CatalogEventType.Migrated => "migrated",
        CatalogEventType.Suspended => "suspended",
        CatalogEventType.Resumed => "resumed",
        CatalogEventType.Deleting => "deleting",
        CatalogEventType.Deleted => "deleted",
        CatalogEventType.StatusChanged => "status_changed",
        CatalogEventType.Error => "error",
        CatalogEventType.ProfileUpdated => "profile_updated",
        CatalogEventType.LimitsUpdated => "limits_updated",
        CatalogEventType.OwnerRecorded => "owner_recorded",
        CatalogEventType.Adopted => "adopted",
        CatalogEventType.CleanupSkipped => "cleanup_skipped",
        CatalogEventType.DriftRepaired => "drift_repaired",
        CatalogEventType.CredentialsRotated => "credentials_rotated",
        CatalogEventType.ServerRecorded => "server_recorded",
        CatalogEventType.AuditFinding => "audit_finding",
    };

    /// <summary>The type a stored row names; false for text no member writes (a row of a newer version).</summary>
    public static bool TryParse(string? wire, out CatalogEventType type) => WireValues.TryParse(wire, ToWire, out type);
}
