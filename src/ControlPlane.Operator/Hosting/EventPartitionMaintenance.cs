using ControlPlane.Store.Events;
using Npgsql;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The leader's upkeep of the catalog's monthly tenant_events partitions (V17, docs/catalog.md), a
/// <see cref="Runtime.PeriodicJob"/>: on gaining the lead and then every <see cref="EventPartitionOptions.MaintenancePeriod"/>,
/// the months ahead are created and, when a retention is configured, older months retired. Only the leader runs it, so one replica issues the DDL (the database serialises
/// it with <c>migrate</c> anyway). A failure is logged with its SQLSTATE and retried next period: events keep landing in
/// the months already created ahead meanwhile.
/// </summary>
public sealed class EventPartitionMaintenance(
    EventPartitions partitions, EventPartitionOptions options, TimeProvider time, ILogger<EventPartitionMaintenance> logger)
{
    /// <summary>One pass at the clock's current time; false when it failed (and was logged).</summary>
    public async Task<bool> RunOnceAsync(CancellationToken cancellationToken)
    {
        try
        {
            var now = time.GetUtcNow();
            var created = await partitions.CreateAheadAsync(now, options.MonthsAhead, cancellationToken);
            if (created.Count > 0)
            {
                Log.EventPartitionsCreated(logger, string.Join(", ", created));
            }

            if (options.Retention is { } retention)
            {
                foreach (var change in await partitions.RetireAsync(now, retention, cancellationToken))
                {
                    if (change.Action == EventPartitionAction.Detached)
                    {
                        Log.EventPartitionDetached(logger, change.Partition, retention.Months, retention.Grace);
                    }
                    else
                    {
                        Log.EventPartitionDropped(logger, change.Partition, retention.Grace);
                    }
                }
            }

            return true;
        }
        catch (NpgsqlException e)
        {
            var postgres = e as PostgresException;
            Log.EventPartitionMaintenanceFailed(logger, postgres?.SqlState ?? "no connection", postgres?.MessageText ?? e.Message, options.MaintenancePeriod);
            return false;
        }
    }
}
