using System.Text.Json.Nodes;
using NpgsqlTypes;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>
    /// Live tenants per server, for placement (issue 17): one entry per (server, host, port), where server is null on
    /// rows registered before V15 that the operator has not backfilled yet. Rows owned by <paramref name="excludedOwners"/>
    /// are left out: the caller holds those placements in memory and counts them itself, so a row that appears while a
    /// placement is pending is counted exactly once.
    /// </summary>
    public async Task<IReadOnlyList<ServerLoad>> CountLiveByServerAsync(IReadOnlyCollection<TenantOwner> excludedOwners, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(excludedOwners);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.ListAsync(connection, CatalogSql.CountLiveByServer,
            row => new ServerLoad(row.IsDBNull(0) ? null : row.GetString(0), row.GetString(1), row.GetInt32(2), row.GetInt32(3)),
            cancellationToken,
            new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = excludedOwners.Select(o => o.Namespace).ToArray() },
            new Npgsql.NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = excludedOwners.Select(o => o.Name).ToArray() });
    }

    /// <summary>
    /// Backfills <c>db_server</c> on a row registered before placement existed (V15) and writes
    /// <c>server_recorded {"server"}</c>. No-op when the row already names this server.
    /// </summary>
    /// <exception cref="ServerMismatchException">The row already names another server: placement is fixed once recorded.</exception>
    public Task<CatalogTenant> RecordServerAsync(Guid id, string server, string actor, CancellationToken cancellationToken)
    {
        if (!TenantRegistration.IsValidServerName(server))
        {
            throw new ArgumentException("The database server name must be 1–63 lower-case letters, digits or '-', starting with a letter.", nameof(server));
        }

        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "record the server", allowDeleting: true);
            if (tenant.DbServer == server)
            {
                return tenant;
            }

            if (tenant.DbServer is not null)
            {
                throw new ServerMismatchException(tenant.Slug, tenant.DbServer, server);
            }

            var updated = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.UpdateServer, cancellationToken, id, server);
            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.ServerRecorded, actor,
                new JsonObject { ["server"] = server }, cancellationToken);
            return updated!;
        }, cancellationToken);
    }
}

/// <summary>Live tenants on one server as the catalog records it (<see cref="Server"/> null: a row not yet backfilled).</summary>
public sealed record ServerLoad(string? Server, string Host, int Port, int Tenants);
