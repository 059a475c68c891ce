using System.Text.Json.Nodes;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>Every tenant row, live and soft-deleted, oldest first: what the estate audit compares the world with.</summary>
    public async Task<IReadOnlyList<CatalogTenant>> ListAllAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await CatalogCommands.ListAsync(connection, AuditSql.ListAll, CatalogRows.ReadTenant, cancellationToken);
    }

    /// <summary>
    /// Writes one <c>audit_finding {"kind", "subject", "detail", "action"}</c> event: the estate audit found an orphan or a
    /// mismatch of this tenant and changed nothing. Not idempotent (the auditor decides when a finding is new); allowed in
    /// every status, deleted included (retained data and leftovers belong to deleted rows). Text is masked like errors.
    /// </summary>
    public Task<TenantEvent> RecordAuditFindingAsync(
        Guid id, string kind, string subject, string detail, string action, string actor, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(kind);
        ArgumentException.ThrowIfNullOrWhiteSpace(subject);
        ArgumentNullException.ThrowIfNull(detail);
        ArgumentNullException.ThrowIfNull(action);
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, _) =>
        {
            var payload = new JsonObject
            {
                ["kind"] = kind,
                ["subject"] = SecretRedactor.Redact(subject),
                ["detail"] = SecretRedactor.Redact(detail),
                ["action"] = SecretRedactor.Redact(action),
            };
            return await CatalogCommands.InsertEventReturningAsync(connection, transaction, id, CatalogEventType.AuditFinding, actor, payload, cancellationToken);
        }, cancellationToken);
    }
}
