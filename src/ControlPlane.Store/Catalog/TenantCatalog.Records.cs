using System.Text.Json.Nodes;
using Npgsql;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>
    /// The tenant schema moved <paramref name="from"/> → <paramref name="to"/>: sets <c>schema_version</c> and writes
    /// <c>migrated {"from", "to"}</c>. No-op when the catalog already says <paramref name="to"/>.
    /// Refused for deleting/deleted tenants.
    /// </summary>
    /// <exception cref="SchemaVersionMismatchException">The catalog holds neither <paramref name="from"/> nor <paramref name="to"/>.</exception>
    public Task<CatalogTenant> RecordMigrationAsync(Guid id, string? from, string to, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(to);
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "record a migration", allowDeleting: false);
            if (tenant.SchemaVersion == to)
            {
                return tenant;
            }

            if (tenant.SchemaVersion != from)
            {
                throw new SchemaVersionMismatchException(tenant.Slug, from, tenant.SchemaVersion);
            }

            var updated = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.UpdateSchemaVersion, cancellationToken, id, to);
            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.Migrated, actor,
                new JsonObject { ["from"] = from, ["to"] = to }, cancellationToken);
            return updated!;
        }, cancellationToken);
    }

    /// <summary>
    /// Writes an <c>error {"reason", "message"}</c> event; credentials in the text are masked first
    /// (<see cref="SecretRedactor"/>). Not idempotent: every call is one occurrence. Allowed in every status.
    /// </summary>
    public Task<TenantEvent> RecordErrorAsync(Guid id, string reason, string message, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentNullException.ThrowIfNull(message);
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, _) =>
        {
            var payload = new JsonObject { ["reason"] = SecretRedactor.Redact(reason), ["message"] = SecretRedactor.Redact(message) };
            return await CatalogCommands.InsertEventReturningAsync(connection, transaction, id, CatalogEventType.Error, actor, payload, cancellationToken);
        }, cancellationToken);
    }

    /// <summary>
    /// Replaces the display data; writes <c>profile_updated {"fields": [...]}</c> naming the changed columns
    /// (names only: contact data is personal). No-op when nothing differs. Refused for deleted tenants.
    /// </summary>
    public Task<CatalogTenant> UpdateProfileAsync(Guid id, TenantProfile profile, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        profile.Validate();
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "update the profile", allowDeleting: true);
            var changed = profile.ChangedFields(tenant);
            if (changed.Count == 0)
            {
                return tenant;
            }

            var updated = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.UpdateProfile, cancellationToken,
                id, profile.DisplayName, CatalogCommands.Text(profile.AppVersion), CatalogCommands.Text(profile.BillingPlan),
                CatalogCommands.Text(profile.ContactEmail), profile.MaintenanceFlag);
            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.ProfileUpdated, actor,
                new JsonObject { ["fields"] = new JsonArray([.. changed.Select(f => (JsonNode)f)]) }, cancellationToken);
            return updated!;
        }, cancellationToken);
    }

    /// <summary>
    /// Sets the tenant's limits (creating the 1:1 row on first use); writes <c>limits_updated</c> with the new
    /// values. No-op when they are already in place. Refused for deleted tenants.
    /// </summary>
    public Task<CatalogTenantLimits> UpdateLimitsAsync(Guid id, CatalogTenantLimits limits, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        limits.Validate();
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "update the limits", allowDeleting: true);
            await using (var read = CatalogCommands.Create(connection, transaction, CatalogSql.GetLimits, id))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken) && ReadLimits(reader) == limits)
                {
                    return limits;
                }
            }

            await using (var upsert = CatalogCommands.Create(connection, transaction, CatalogSql.UpsertLimits,
                             id, limits.MaxDbSizeMb, limits.MaxUsers, limits.MaxAttachmentsGb, CatalogCommands.Text(limits.Notes)))
            {
                await upsert.ExecuteNonQueryAsync(cancellationToken);
            }

            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.LimitsUpdated, actor, new JsonObject
            {
                ["max_db_size_mb"] = limits.MaxDbSizeMb,
                ["max_users"] = limits.MaxUsers,
                ["max_attachments_gb"] = limits.MaxAttachmentsGb,
            }, cancellationToken);
            return limits;
        }, cancellationToken);
    }

    private static void EnsureWritable(CatalogTenant tenant, string operation, bool allowDeleting)
    {
        if (tenant.Status == CatalogTenantStatus.Deleted || (!allowDeleting && tenant.Status == CatalogTenantStatus.Deleting))
        {
            throw new IllegalTransitionException(tenant.Slug, tenant.Status, operation);
        }
    }
}
