using System.Text.Json;
using Npgsql;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// The catalog's change channel (trigger <c>tenants_notify_change</c>, V6): every insert, update or delete of a
/// tenant row is announced with <c>{"op","id","slug","old_slug"}</c>, delivered when the writing transaction commits.
/// </summary>
public static class TenantChanges
{
    public const string Channel = "control_plane_tenants";

    private const string Listen = "LISTEN control_plane_tenants";
    private const string Unlisten = "UNLISTEN control_plane_tenants";
    private const string Ping = "SELECT 1";

    /// <summary>Subscribes <paramref name="connection"/> (a connection held open for this purpose only) to the channel.</summary>
    public static async Task ListenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Listen, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Ends the subscription before the connection goes back to its pool: the operator's catalog pool reuses connections
    /// without a reset (<see cref="CatalogPool"/>), so a forgotten LISTEN would follow the connection to its next user.
    /// </summary>
    public static async Task UnlistenAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Unlisten, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>One round trip, so a listener that heard nothing for a while learns whether its connection is still alive.</summary>
    public static async Task PingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(Ping, connection);
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Reads a payload of the channel; null when it is not one (a listener then has to assume anything changed).</summary>
    public static TenantChange? Parse(string payload)
    {
        try
        {
            using var document = JsonDocument.Parse(payload);
            var root = document.RootElement;
            return root.TryGetProperty("op", out var op) && op.GetString() is { } operation
                   && root.TryGetProperty("id", out var id) && id.TryGetGuid(out var tenantId)
                   && root.TryGetProperty("slug", out var slug) && slug.GetString() is { } currentSlug
                ? new TenantChange(operation, tenantId, currentSlug,
                    root.TryGetProperty("old_slug", out var old) && old.ValueKind == JsonValueKind.String ? old.GetString() : null)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
        catch (InvalidOperationException)
        {
            // A property of an unexpected JSON kind (GetString on a number).
            return null;
        }
    }
}

/// <summary>One announced change: <paramref name="Operation"/> is insert, update or delete; <paramref name="OldSlug"/> is set when an update changed the slug.</summary>
public sealed record TenantChange(string Operation, Guid TenantId, string Slug, string? OldSlug);
