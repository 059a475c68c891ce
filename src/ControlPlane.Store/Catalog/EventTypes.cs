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

    public static IReadOnlyList<string> All { get; } =
        [Provisioned, Migrated, Suspended, Resumed, Deleting, Deleted, StatusChanged, Error, ProfileUpdated, LimitsUpdated];
}
