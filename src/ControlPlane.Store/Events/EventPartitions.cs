using Npgsql;

namespace ControlPlane.Store.Events;

/// <summary>
/// Maintenance of the monthly partitions of <c>control_plane.tenant_events</c> (V17): partitions created ahead and
/// retention. Both serialise on one advisory lock in the database, so <c>migrate</c> and the operator's leader may run
/// them at the same time; each call is one transaction with a lock timeout (<see cref="EventPartitionSql.LockTimeout"/>).
/// Times are the caller's (a <see cref="TimeProvider"/>), so tests can stand at any month.
/// </summary>
public sealed class EventPartitions(NpgsqlDataSource dataSource)
{
    /// <summary>Months created ahead of the current one when nothing else is configured.</summary>
    public const int DefaultMonthsAhead = 3;

    public const int MaxMonthsAhead = 24;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <summary>Creates the missing partitions up to <paramref name="monthsAhead"/> months after the month of <paramref name="at"/>; returns their names.</summary>
    public async Task<IReadOnlyList<string>> CreateAheadAsync(DateTimeOffset at, int monthsAhead, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(monthsAhead, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(monthsAhead, MaxMonthsAhead);
        return await InTransactionAsync(EventPartitionSql.CreateAhead, r => r.GetString(0), cancellationToken, at.ToUniversalTime(), monthsAhead);
    }

    /// <summary>Retires the partitions older than the retention and drops those detached longer than its grace period.</summary>
    public async Task<IReadOnlyList<EventPartitionChange>> RetireAsync(DateTimeOffset at, EventRetention retention, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(retention);
        if (retention.Problem() is { } problem)
        {
            throw new ArgumentException(problem, nameof(retention));
        }

        return await InTransactionAsync(
            EventPartitionSql.Retire,
            r => new EventPartitionChange(r.GetString(0) == "dropped" ? EventPartitionAction.Dropped : EventPartitionAction.Detached, r.GetString(1)),
            cancellationToken, at.ToUniversalTime(), retention.Months, retention.Grace);
    }

    /// <summary>The register of partitions, the archive first, then by month (detached ones included until dropped).</summary>
    public async Task<IReadOnlyList<EventPartition>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var command = new NpgsqlCommand(EventPartitionSql.List, connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var partitions = new List<EventPartition>();
        while (await reader.ReadAsync(cancellationToken))
        {
            partitions.Add(new EventPartition(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetFieldValue<DateTimeOffset>(1),
                reader.GetFieldValue<DateTimeOffset>(2),
                reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return partitions;
    }

    private async Task<List<T>> InTransactionAsync<T>(
        string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object[] values)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var timeout = new NpgsqlCommand(EventPartitionSql.LockTimeout, connection, transaction))
        {
            await timeout.ExecuteNonQueryAsync(cancellationToken);
        }

        var rows = new List<T>();
        await using (var command = new NpgsqlCommand(sql, connection, transaction))
        {
            foreach (var value in values)
            {
                command.Parameters.Add(new NpgsqlParameter { Value = value });
            }

            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add(read(reader));
            }
        }

        await transaction.CommitAsync(cancellationToken);
        return rows;
    }
}
