using System.Text.Json.Nodes;
using Npgsql;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>provisioning → active: writes <c>provisioned</c> and <c>status_changed</c>. No-op when already active.</summary>
    public Task<CatalogTenant> MarkActiveAsync(Guid id, string actor, CancellationToken cancellationToken) =>
        MoveAsync(id, StatusIntent.Activate, actor, reason: null, t => new JsonObject
        {
            ["db_name"] = t.DbName,
            ["db_host"] = t.DbHost,
            ["schema_version"] = t.SchemaVersion,
        }, cancellationToken);

    /// <summary>
    /// active → suspended with a reason: writes <c>suspended {"reason"}</c> and <c>status_changed</c>.
    /// Already suspended with the same reason: no-op. Already suspended with another reason: the reason is
    /// replaced and one <c>suspended {"reason", "previous_reason"}</c> event is written (no status change).
    /// </summary>
    public Task<CatalogTenant> MarkSuspendedAsync(Guid id, string reason, string actor, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            throw new ArgumentException("A suspension needs a reason.", nameof(reason));
        }

        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            if (tenant.Status != CatalogTenantStatus.Suspended || tenant.SuspendedReason == reason)
            {
                return await ApplyAsync(connection, transaction, tenant, StatusIntent.Suspend, actor, reason,
                    _ => new JsonObject { ["reason"] = reason }, cancellationToken);
            }

            var updated = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.UpdateSuspendedReason, cancellationToken, id, reason);
            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.Suspended, actor,
                new JsonObject { ["reason"] = reason, ["previous_reason"] = tenant.SuspendedReason }, cancellationToken);
            return updated!;
        }, cancellationToken);
    }

    /// <summary>suspended → active: writes <c>resumed</c> and <c>status_changed</c>, clears the reason. No-op when active.</summary>
    public Task<CatalogTenant> MarkResumedAsync(Guid id, string actor, CancellationToken cancellationToken) =>
        MoveAsync(id, StatusIntent.Resume, actor, reason: null,
            t => new JsonObject { ["suspended_reason"] = t.SuspendedReason }, cancellationToken);

    /// <summary>provisioning|active|suspended → deleting: writes <c>deleting</c> and <c>status_changed</c>. No-op when deleting or deleted.</summary>
    public Task<CatalogTenant> MarkDeletingAsync(Guid id, string actor, CancellationToken cancellationToken) =>
        MoveAsync(id, StatusIntent.StartDeletion, actor, reason: null, _ => null, cancellationToken);

    /// <summary>
    /// deleting → deleted (soft delete: sets <c>deleted_at</c>, frees the slug and database name):
    /// writes <c>deleted</c> and <c>status_changed</c>. No-op when already deleted.
    /// </summary>
    public Task<CatalogTenant> MarkDeletedAsync(Guid id, string actor, CancellationToken cancellationToken) =>
        MoveAsync(id, StatusIntent.FinishDeletion, actor, reason: null, _ => null, cancellationToken);

    private Task<CatalogTenant> MoveAsync(
        Guid id, StatusIntent intent, string actor, string? reason, Func<CatalogTenant, JsonObject?> payload, CancellationToken cancellationToken)
    {
        ValidateActor(actor);
        return WithLockedTenantAsync(id,
            (connection, transaction, tenant) => ApplyAsync(connection, transaction, tenant, intent, actor, reason, payload, cancellationToken),
            cancellationToken);
    }

    private static async Task<CatalogTenant> ApplyAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, CatalogTenant tenant, StatusIntent intent, string actor, string? reason,
        Func<CatalogTenant, JsonObject?> payload, CancellationToken cancellationToken)
    {
        if (intent.AlreadyDone.Contains(tenant.Status))
        {
            return tenant;
        }

        if (!intent.From.Contains(tenant.Status))
        {
            throw new IllegalTransitionException(tenant.Slug, tenant.Status, intent.Target.ToSql());
        }

        var updated = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.UpdateStatus, cancellationToken,
            tenant.Id, intent.Target.ToSql(), CatalogCommands.Text(intent.Target == CatalogTenantStatus.Suspended ? reason : null));
        await CatalogCommands.InsertEventAsync(connection, transaction, tenant.Id, CatalogEventType.StatusChanged, actor,
            StatusChange(tenant.Status, intent.Target), cancellationToken);
        await CatalogCommands.InsertEventAsync(connection, transaction, tenant.Id, intent.EventType, actor, payload(tenant), cancellationToken);
        return updated!;
    }

    /// <summary>
    /// Runs one write in one transaction holding the tenant's row lock. FOR NO KEY UPDATE serialises writers of
    /// this tenant (each sees the previous one's committed row) without blocking event inserts' FK checks.
    /// </summary>
    private async Task<T> WithLockedTenantAsync<T>(
        Guid id, Func<NpgsqlConnection, NpgsqlTransaction, CatalogTenant, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var tenant = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.LockById, cancellationToken, id)
                     ?? throw new TenantNotFoundException(id);
        var result = await write(connection, transaction, tenant);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}
