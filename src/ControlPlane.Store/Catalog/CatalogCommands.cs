using System.Text.Json.Nodes;
using Npgsql;
using NpgsqlTypes;

namespace ControlPlane.Store.Catalog;

/// <summary>Small helpers that run <see cref="CatalogSql"/> statements with positional parameters.</summary>
internal static class CatalogCommands
{
    public static NpgsqlCommand Create(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, params object?[] values)
    {
        var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var value in values)
        {
            command.Parameters.Add(value as NpgsqlParameter ?? new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    public static NpgsqlParameter Jsonb(JsonNode? payload) =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = payload is null ? DBNull.Value : payload.ToJsonString() };

    /// <summary>Typed null-or-text, for parameters whose type PostgreSQL cannot infer from a bare NULL.</summary>
    public static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = value is null ? DBNull.Value : value };

    public static async Task<CatalogTenant?> TenantAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Create(connection, transaction, sql, values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? CatalogRows.ReadTenant(reader) : null;
    }

    public static async Task<List<T>> ListAsync<T>(
        NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Create(connection, null, sql, values);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>
    /// <see cref="ListAsync{T}"/> on a statement prepared on the physical connection. Npgsql keeps it across pooled uses,
    /// so it is parsed once per connection; PostgreSQL then plans it a few times and settles on a generic plan that
    /// prunes partitions when the executor starts. For the event lookups (issue 18): planning every execution anew over
    /// the monthly partitions of tenant_events (V17) cost several times the lookup itself (docs/catalog.md, "Lookups").
    /// </summary>
    public static async Task<List<T>> PreparedListAsync<T>(
        NpgsqlConnection connection, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object?[] values)
    {
        await using var command = Create(connection, null, sql, values);
        await command.PrepareAsync(cancellationToken);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    public static async Task InsertEventAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CatalogEventType eventType, string actor, JsonNode? payload,
        CancellationToken cancellationToken)
    {
        await using var command = Create(connection, transaction, CatalogSql.InsertEvent, tenantId, eventType.ToWire(), actor, Jsonb(payload));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Writes one event and returns it as stored (its id and time are the database's).</summary>
    public static async Task<TenantEvent> InsertEventReturningAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, CatalogEventType eventType, string actor, JsonNode? payload,
        CancellationToken cancellationToken)
    {
        await using var command = Create(connection, transaction, CatalogSql.InsertEventReturning, tenantId, eventType.ToWire(), actor, Jsonb(payload));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? CatalogRows.ReadEvent(reader)
            : throw new InvalidOperationException("INSERT … RETURNING returned no row.");
    }
}
