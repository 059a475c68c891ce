using System.Text.Json.Nodes;
using Npgsql;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    private const string SlugIndex = "tenants_slug_live_key";
    private const string DbNameIndex = "tenants_db_name_live_key";
    private const string OwnerIndex = "tenants_owner_live_key";

    /// <summary>
    /// Registers a tenant in <c>provisioning</c> and writes <c>status_changed {"from": null, "to": "provisioning"}</c>.
    /// Idempotent: when a live tenant with the same slug and the same connection identity (database name, host,
    /// port, user, secret reference) is still provisioning, that row is returned and nothing is written.
    /// </summary>
    /// <exception cref="SlugTakenException">A different live tenant (or this one, past provisioning) holds the slug.</exception>
    /// <exception cref="DatabaseNameTakenException">A live tenant with another slug holds the database name.</exception>
    public async Task<CatalogTenant> RegisterAsync(TenantRegistration registration, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(registration);
        registration.Validate();
        ValidateActor(actor);

        // Two rounds: a concurrent registration may commit between our check and our insert; the unique index
        // then refuses ours, and the second look tells an identical registration (return it) from a clash.
        PostgresException? lost = null;
        for (var round = 0; round < 2; round++)
        {
            if (await ExistingRegistrationAsync(registration, lost, cancellationToken) is { } existing)
            {
                return existing;
            }

            try
            {
                return await InsertAsync(registration, actor, cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName is SlugIndex or DbNameIndex)
            {
                lost = e;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UniqueViolation && e.ConstraintName is OwnerIndex)
            {
                throw new OwnerTakenException(registration.Owner!, e);
            }
        }

        throw lost!.ConstraintName == SlugIndex
            ? new SlugTakenException(registration.Slug, lost)
            : new DatabaseNameTakenException(registration.DbName, lost);
    }

    /// <summary>The same registration already in provisioning, null when the names are free; throws on a clash.</summary>
    private async Task<CatalogTenant?> ExistingRegistrationAsync(
        TenantRegistration registration, PostgresException? lostRace, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        var clashes = await CatalogCommands.ListAsync(connection, CatalogSql.FindLiveClashes, CatalogRows.ReadTenant, cancellationToken,
            registration.Slug, registration.DbName);
        if (clashes.Count == 0)
        {
            return null;
        }

        var clash = clashes[0];
        if (clashes.Count == 1 && clash.Status == CatalogTenantStatus.Provisioning && registration.HasSameIdentityAs(clash))
        {
            return clash;
        }

        throw string.Equals(clash.Slug, registration.Slug, StringComparison.OrdinalIgnoreCase)
            ? new SlugTakenException(registration.Slug, lostRace)
            : new DatabaseNameTakenException(registration.DbName, lostRace);
    }

    private async Task<CatalogTenant> InsertAsync(TenantRegistration registration, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var tenant = await CatalogCommands.TenantAsync(connection, transaction, CatalogSql.Insert, cancellationToken,
            registration.Slug, registration.DisplayName, registration.DbName, registration.DbHost, registration.DbPort,
            registration.DbUser, registration.DbSecretRef.ToString(), CatalogCommands.Text(registration.AppVersion),
            CatalogCommands.Text(registration.BillingPlan), CatalogCommands.Text(registration.ContactEmail),
            CatalogCommands.Text(registration.Owner?.Namespace), CatalogCommands.Text(registration.Owner?.Name),
            CatalogCommands.Text(registration.Owner?.Uid), CatalogCommands.Text(registration.DbServer));
        await CatalogCommands.InsertEventAsync(connection, transaction, tenant!.Id, CatalogEventType.StatusChanged, actor,
            StatusChange(null, CatalogTenantStatus.Provisioning), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return tenant;
    }

    private static JsonObject StatusChange(CatalogTenantStatus? from, CatalogTenantStatus to) =>
        new() { ["from"] = from?.ToSql(), ["to"] = to.ToSql() };
}
