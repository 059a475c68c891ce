namespace ControlPlane.Store.Events;

/// <summary>A row of <c>control_plane.event_partitions</c>: a partition of tenant_events the catalog made.</summary>
/// <param name="Name">The table in <c>control_plane</c>: <c>tenant_events_YYYY_MM</c> or <c>tenant_events_archive</c>.</param>
/// <param name="From">Inclusive lower bound; null for the archive (MINVALUE), which holds what retention keeps.</param>
/// <param name="To">Exclusive upper bound.</param>
/// <param name="DetachedAt">When retention detached it; it is dropped after the grace period.</param>
public sealed record EventPartition(string Name, DateTimeOffset? From, DateTimeOffset To, DateTimeOffset? DetachedAt)
{
    public bool Detached => DetachedAt is not null;
}

/// <summary>What one retention run did to one partition.</summary>
public sealed record EventPartitionChange(EventPartitionAction Action, string Partition);

public enum EventPartitionAction
{
    /// <summary>Detached from tenant_events (its kept rows copied to the archive); still on disk for the grace period.</summary>
    Detached,

    /// <summary>A detached partition whose grace period ended, dropped.</summary>
    Dropped,
}
