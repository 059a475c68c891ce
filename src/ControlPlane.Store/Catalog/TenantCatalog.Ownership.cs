using System.Text.Json.Nodes;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>The live tenant (not soft-deleted) owned by this Kubernetes object (namespace and name); null if none.</summary>
    public async Task<CatalogTenant?> FindLiveByOwnerAsync(string ownerNamespace, string ownerName, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(ownerNamespace);
        ArgumentException.ThrowIfNullOrEmpty(ownerName);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.TenantAsync(connection, null, CatalogSql.FindLiveByOwner, cancellationToken, ownerNamespace, ownerName);
    }

    /// <summary>
    /// Records the Kubernetes object that owns the tenant: on a row registered before owners were recorded (upgrade),
    /// or with a new uid when the object was re-created (same namespace and name). Writes
    /// <c>owner_recorded {"namespace", "name", "uid", "previous_uid"}</c>; no-op when the row already says exactly this.
    /// </summary>
    /// <exception cref="OwnerMismatchException">The row is owned by another object (namespace or name differ).</exception>
    public Task<CatalogTenant> RecordOwnerAsync(Guid id, TenantOwner owner, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "record the owner", allowDeleting: true);
            if (tenant.Owner == owner)
            {
                return tenant;
            }

            if (tenant.Owner is not null && !tenant.Owner.IsSameObject(owner))
            {
                throw new OwnerMismatchException(tenant.Slug, tenant.Owner, owner);
            }

            var updated = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.UpdateOwner, cancellationToken,
                id, owner.Namespace, owner.Name, CatalogCommands.Text(owner.Uid));
            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.OwnerRecorded, actor, new JsonObject
            {
                ["namespace"] = owner.Namespace,
                ["name"] = owner.Name,
                ["uid"] = owner.Uid,
                ["previous_uid"] = tenant.Owner?.Uid,
            }, cancellationToken);
            return updated!;
        }, cancellationToken);
    }

    /// <summary>
    /// Audits an explicit adoption: tenant <paramref name="id"/> took over the retained database and role of the deleted
    /// tenant <paramref name="previousId"/>. Writes <c>adopted {"from", "namespace", "name"}</c> on the adopter and
    /// <c>adopted {"by", "namespace", "name"}</c> on the previous tenant, in one transaction. No-op when the adopter
    /// already has an <c>adopted</c> event. The caller has checked that the previous tenant is deleted and had the same
    /// owner namespace.
    /// </summary>
    public Task<CatalogTenant> RecordAdoptionAsync(Guid id, Guid previousId, string actor, CancellationToken cancellationToken)
    {
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "record an adoption", allowDeleting: false);
            await using (var count = CatalogCommands.Create(connection, transaction, CatalogSql.CountEventsOfType, id, CatalogEventType.Adopted.ToWire()))
            {
                if ((long)(await count.ExecuteScalarAsync(cancellationToken))! > 0)
                {
                    return tenant;
                }
            }

            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.Adopted, actor, new JsonObject
            {
                ["from"] = previousId.ToString(),
                ["namespace"] = tenant.Owner?.Namespace,
                ["name"] = tenant.Owner?.Name,
            }, cancellationToken);
            await CatalogCommands.InsertEventAsync(connection, transaction, previousId, CatalogEventType.Adopted, actor, new JsonObject
            {
                ["by"] = id.ToString(),
                ["namespace"] = tenant.Owner?.Namespace,
                ["name"] = tenant.Owner?.Name,
            }, cancellationToken);
            return tenant;
        }, cancellationToken);
    }
}
