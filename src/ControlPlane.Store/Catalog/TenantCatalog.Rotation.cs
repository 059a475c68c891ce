namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>The rotation recorded for the request <paramref name="rotation"/>, or null when it was never completed.</summary>
    public async Task<CredentialRotation?> FindCredentialRotationAsync(Guid id, string rotation, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(rotation);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await CatalogCommands.ListAsync(connection, CatalogSql.FindCredentialRotation, r => r.GetString(0), cancellationToken, id, rotation);
        return rows.Count == 0 ? null : CredentialRotation.FromPayload(rows[0]);
    }

    /// <summary>The newest recorded rotation (where a <c>rotateEvery</c> schedule counts from), or null when there was none.</summary>
    public async Task<CredentialRotation?> LatestCredentialRotationAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await CatalogCommands.ListAsync(connection, CatalogSql.LatestCredentialRotation, r => r.GetString(0), cancellationToken, id);
        return rows.Count == 0 ? null : CredentialRotation.FromPayload(rows[0]);
    }

    /// <summary>
    /// Records that the tenant's password was rotated for <see cref="CredentialRotation.Rotation"/>: writes
    /// <c>credentials_rotated {"rotation", "scheduled", "at"}</c> and touches the tenant row, whose change notification
    /// (V6) makes every resolver drop its cached connection at once. Idempotent per request: when the request is already
    /// recorded, returns that record and writes nothing (a unique index backs this against concurrent writers).
    /// Refused for deleting and deleted tenants.
    /// </summary>
    public Task<CredentialRotation> RecordCredentialsRotatedAsync(Guid id, CredentialRotation rotation, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rotation);
        rotation.Validate();
        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "record a credential rotation", allowDeleting: false);
            await using (var find = CatalogCommands.Create(connection, transaction, CatalogSql.FindCredentialRotation, id, rotation.Rotation))
            {
                if (await find.ExecuteScalarAsync(cancellationToken) is string recorded)
                {
                    return CredentialRotation.FromPayload(recorded);
                }
            }

            await CatalogCommands.InsertEventAsync(connection, transaction, id, CatalogEventType.CredentialsRotated, actor, rotation.Payload(), cancellationToken);
            await using (var touch = CatalogCommands.Create(connection, transaction, CatalogSql.TouchTenant, id))
            {
                await touch.ExecuteNonQueryAsync(cancellationToken);
            }

            return rotation;
        }, cancellationToken);
    }
}
