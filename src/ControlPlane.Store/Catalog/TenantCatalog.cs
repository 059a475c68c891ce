using Npgsql;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// The control-plane catalog (<c>control_plane.tenants</c>, <c>tenant_events</c>, <c>tenant_limits</c>) behind
/// methods named for intent. Every write runs in one transaction that locks the tenant row
/// (<c>SELECT … FOR NO KEY UPDATE</c>), checks the lifecycle, writes the row and its audit events, and commits;
/// concurrent writers to one tenant therefore queue instead of losing updates (ADR-CP-001). Every write is
/// idempotent in the sense a reconciler needs: repeating a request whose effect is already in place returns
/// the current row and writes no event. Times come from the database clock.
/// </summary>
public sealed partial class TenantCatalog(NpgsqlDataSource dataSource)
{
    public const int MaxPageSize = 500;

    /// <summary>Largest page of <see cref="ListLiveWithLimitsAsync"/>: a few MB of rows, one statement.</summary>
    public const int MaxBulkPageSize = 10_000;

    private readonly NpgsqlDataSource _dataSource = dataSource ?? throw new ArgumentNullException(nameof(dataSource));

    /// <summary>The live tenant (not soft-deleted) with this slug, compared case-insensitively; null if none.</summary>
    public async Task<CatalogTenant?> FindBySlugAsync(string slug, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(slug);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.TenantAsync(connection, null, CatalogSql.FindBySlug, cancellationToken, slug);
    }

    /// <summary>The tenant with this id, soft-deleted or not.</summary>
    /// <exception cref="TenantNotFoundException">No tenant has this id.</exception>
    public async Task<CatalogTenant> GetByIdAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.TenantAsync(connection, null, CatalogSql.GetById, cancellationToken, id)
               ?? throw new TenantNotFoundException(id);
    }

    /// <summary>The tenant with this id and its limits, in one statement.</summary>
    /// <exception cref="TenantNotFoundException">No tenant has this id.</exception>
    public async Task<TenantWithLimits> GetWithLimitsAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await CatalogCommands.ListAsync(connection, CatalogSql.GetByIdWithLimits, ReadTenantWithLimits, cancellationToken, id);
        return rows.Count == 1 ? rows[0] : throw new TenantNotFoundException(id);
    }

    /// <summary>
    /// One page of every live (not soft-deleted) tenant with its limits, in id order, one statement per page: the bulk
    /// read a resync of the whole fleet starts from instead of one <see cref="GetWithLimitsAsync"/> per tenant. Pass the
    /// last id of the previous page as <paramref name="after"/> (null for the first); a page shorter than
    /// <paramref name="pageSize"/> is the last. Rows changed while the pages are read may be seen before or after the
    /// change: callers act only on a row read again on its own (ADR-CP-011).
    /// </summary>
    public async Task<IReadOnlyList<TenantWithLimits>> ListLiveWithLimitsAsync(Guid? after, int pageSize, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxBulkPageSize);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.ListAsync(connection, CatalogSql.LiveWithLimitsPage, ReadTenantWithLimits, cancellationToken, after ?? Guid.Empty, pageSize);
    }

    /// <summary>Tenants in one status, most recently updated first; pass the previous page's <c>Next</c> as <paramref name="after"/>.</summary>
    public Task<CatalogPage<CatalogTenant>> ListByStatusAsync(CatalogTenantStatus status, int pageSize, TenantCursor? after, CancellationToken cancellationToken) =>
        PageAsync(CatalogSql.ListByStatusFirst, CatalogSql.ListByStatusAfter, CatalogRows.ReadTenant, t => t.Cursor,
            status.ToSql(), pageSize, after, cancellationToken);

    /// <summary>A tenant's audit events, newest first; pass the previous page's <c>Next</c> as <paramref name="after"/>.</summary>
    public Task<CatalogPage<TenantEvent>> GetEventsAsync(Guid tenantId, int pageSize, TenantCursor? after, CancellationToken cancellationToken) =>
        PageAsync(CatalogSql.EventsFirst, CatalogSql.EventsAfter, CatalogRows.ReadEvent, e => e.Cursor,
            tenantId, pageSize, after, cancellationToken, prepared: true);

    /// <summary>
    /// The tenant's events dated from <paramref name="since"/> (inclusive) to <paramref name="until"/> (exclusive),
    /// newest first, at most <paramref name="limit"/>: the lookup of recent activity, which reads only the monthly
    /// partitions (V17) the window overlaps. Pass the caller's now as <paramref name="until"/> for "the last N days".
    /// </summary>
    public async Task<IReadOnlyList<TenantEvent>> GetRecentEventsAsync(Guid tenantId, DateTimeOffset since, DateTimeOffset until, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, MaxPageSize);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(until, since);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.PreparedListAsync(connection, CatalogSql.RecentEvents, CatalogRows.ReadEvent, cancellationToken,
            tenantId, since.ToUniversalTime(), until.ToUniversalTime(), limit);
    }

    /// <summary>The tenant's limits, or null when none were ever set.</summary>
    public async Task<CatalogTenantLimits?> GetLimitsAsync(Guid tenantId, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await CatalogCommands.ListAsync(connection, CatalogSql.GetLimits, ReadLimits, cancellationToken, tenantId);
        return rows.Count == 0 ? null : rows[0];
    }

    private static TenantWithLimits ReadTenantWithLimits(NpgsqlDataReader row)
    {
        int? Number(string column) => row.IsDBNull(row.GetOrdinal(column)) ? null : row.GetInt32(row.GetOrdinal(column));
        var limits = row.GetBoolean(row.GetOrdinal("has_limits"))
            ? new CatalogTenantLimits(Number("max_db_size_mb"), Number("max_users"), Number("max_attachments_gb"),
                row.IsDBNull(row.GetOrdinal("notes")) ? null : row.GetString(row.GetOrdinal("notes")))
            : null;
        return new TenantWithLimits(CatalogRows.ReadTenant(row), limits);
    }

    private static CatalogTenantLimits ReadLimits(NpgsqlDataReader row) => new(
        row.IsDBNull(0) ? null : row.GetInt32(0),
        row.IsDBNull(1) ? null : row.GetInt32(1),
        row.IsDBNull(2) ? null : row.GetInt32(2),
        row.IsDBNull(3) ? null : row.GetString(3));

    /// <summary>
    /// One keyset page: <paramref name="firstSql"/> takes ($1 key, $2 limit), <paramref name="afterSql"/> also ($3, $4) = the cursor.
    /// <paramref name="prepared"/>: the statements run prepared (<see cref="CatalogCommands.PreparedListAsync{T}"/>; the events' pages).
    /// </summary>
    private async Task<CatalogPage<T>> PageAsync<T>(
        string firstSql, string afterSql, Func<NpgsqlDataReader, T> read, Func<T, TenantCursor> cursorOf,
        object key, int pageSize, TenantCursor? after, CancellationToken cancellationToken, bool prepared = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(pageSize, MaxPageSize);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        Func<string, object?[], Task<List<T>>> list = prepared
            ? (sql, values) => CatalogCommands.PreparedListAsync(connection, sql, read, cancellationToken, values)
            : (sql, values) => CatalogCommands.ListAsync(connection, sql, read, cancellationToken, values);
        var rows = after is { } cursor
            ? await list(afterSql, [key, pageSize, cursor.At, cursor.Id])
            : await list(firstSql, [key, pageSize]);
        return new CatalogPage<T>(rows, rows.Count == pageSize ? cursorOf(rows[^1]) : null);
    }

    private static void ValidateActor(string actor)
    {
        if (string.IsNullOrWhiteSpace(actor) || actor.Length > 200)
        {
            throw new ArgumentException("Every catalog write names its actor (1–200 characters), e.g. \"operator\" or \"user:jdoe\".", nameof(actor));
        }
    }
}
