namespace ControlPlane.Store.Catalog;

/// <summary>The rows of <c>control_plane.event_types</c> (seeded by V3), as constants.</summary>
public static class EventTypes
{
    public const string Provisioned = "provisioned";
    public const string Migrated = "migrated";
    public const string Suspended = "suspended";
    public const string Resumed = "resumed";
    public const string Deleting = "deleting";
    public const string Deleted = "deleted";
    public const string StatusChanged = "status_changed";
    public const string Error = "error";
    public const string ProfileUpdated = "profile_updated";
    public const string LimitsUpdated = "limits_updated";

    /// <summary>The Kubernetes object owning the tenant was recorded (upgrade) or re-created with a new uid (V7).</summary>
    public const string OwnerRecorded = "owner_recorded";

    /// <summary>A deleted tenant's retained database and role were explicitly adopted (V7).</summary>
    public const string Adopted = "adopted";

    /// <summary>Deletion released by the skip-cleanup annotation without (full) cleanup (V12).</summary>
    public const string CleanupSkipped = "cleanup_skipped";

    /// <summary>The resync restored what was changed by hand: a dropped database or role, a login state, a connection limit, the schema (V13).</summary>
    public const string DriftRepaired = "drift_repaired";

    /// <summary>The tenant's database password was rotated, once per rotation request (V14).</summary>
    public const string CredentialsRotated = "credentials_rotated";

    /// <summary>The server a row registered before placement lives on was recorded from its Tenant (V15).</summary>
    public const string ServerRecorded = "server_recorded";

    /// <summary>The estate audit found an orphan or a mismatch of this tenant; nothing was changed (V16).</summary>
    public const string AuditFinding = "audit_finding";

    public static IReadOnlyList<string> All { get; } =
    [
        Provisioned, Migrated, Suspended, Resumed, Deleting, Deleted, StatusChanged, Error, ProfileUpdated, LimitsUpdated, OwnerRecorded, Adopted,
        CleanupSkipped, DriftRepaired, CredentialsRotated, ServerRecorded, AuditFinding,
    ];
}
