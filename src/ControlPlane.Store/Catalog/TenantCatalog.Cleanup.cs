using System.Text.Json.Nodes;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>
    /// Audits deletion's escape hatch (V12): a human released the tenant's finalizer with the skip-cleanup annotation
    /// while cleanup could not finish. Writes <c>cleanup_skipped {"reason", "cause", "left"}</c> (the annotation's value,
    /// what blocked cleanup, what stays behind; credentials masked first, <see cref="SecretRedactor"/>). Only while the
    /// tenant is <c>deleting</c>, and once: a retry after a crash adds nothing.
    /// </summary>
    public Task<CatalogTenant> RecordCleanupSkippedAsync(
        Guid id, string reason, string cause, IReadOnlyList<string> left, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        ArgumentException.ThrowIfNullOrWhiteSpace(cause);
        ArgumentNullException.ThrowIfNull(left);
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            if (tenant.Status != CatalogTenantStatus.Deleting)
            {
                throw new IllegalTransitionException(tenant.Slug, tenant.Status, "record skipped cleanup");
            }

            await using (var count = CatalogCommands.Create(connection, transaction, CatalogSql.CountEventsOfType, id, CatalogEventType.CleanupSkipped.ToWire()))
            {
                if ((long)(await count.ExecuteScalarAsync(cancellationToken))! > 0)
                {
                    return tenant;
                }
            }

            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.CleanupSkipped, actor, new JsonObject
            {
                ["reason"] = SecretRedactor.Redact(reason),
                ["cause"] = SecretRedactor.Redact(cause),
                ["left"] = new JsonArray([.. left.Select(item => (JsonNode)SecretRedactor.Redact(item))]),
            }, cancellationToken);
            return tenant;
        }, cancellationToken);
    }
}
