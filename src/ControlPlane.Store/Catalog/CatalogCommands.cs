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

    public static async Task InsertEventAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, string eventType, string actor, JsonNode? payload,
        CancellationToken cancellationToken)
    {
        await using var command = Create(connection, transaction, CatalogSql.InsertEvent, tenantId, eventType, actor, Jsonb(payload));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
