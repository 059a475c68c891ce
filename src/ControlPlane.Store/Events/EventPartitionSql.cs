namespace ControlPlane.Store.Events;

/// <summary>The statements of <see cref="EventPartitions"/>; the functions they call are V17's.</summary>
internal static class EventPartitionSql
{
    /// <summary>
    /// Creating or detaching a partition takes ACCESS EXCLUSIVE on tenant_events: a long reader must make maintenance
    /// give up (and retry next period) rather than queue every event writer behind it.
    /// </summary>
    public const string LockTimeout = "SET LOCAL lock_timeout = '5s'";

    public const string CreateAhead = "SELECT control_plane.create_event_partitions($1, $2)";

    public const string Retire = "SELECT action, partition FROM control_plane.retire_event_partitions($1, $2, $3)";

    public const string List = """
        SELECT name, range_from, range_to, state = 'detached', detached_at
          FROM control_plane.event_partitions
         ORDER BY range_from NULLS FIRST
        """;
}
