using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using Npgsql;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Drift repair (issue 13, item 6). Every reconcile of a provisioned tenant observes before it acts: the converge reads
/// the roles, login state, connection limit, database and marks from the server's shared catalogs and puts back what
/// differs (a role dropped by hand is created again with its Secret's password; what exists without the tenant's mark
/// stays a conflict, ADR-CP-007); here the schema is checked against the tenant database's own changelog and a database
/// that came back empty is migrated to the version the catalog records. Each repair is one catalog
/// <c>drift_repaired</c> event; a tenant with nothing to repair writes nothing anywhere. Healthy tenants come back every
/// <see cref="TenantResync"/> period, so drift is found without waiting for a spec change or a restart.
/// </summary>
public sealed partial class TenantReconciler
{
    /// <summary>
    /// Records what the converge of an already provisioned tenant repaired, after bringing a database that came back
    /// empty (or behind) to the recorded schema version. Provisioning tenants are built, not repaired: they pass through.
    /// </summary>
    private async Task RepairDriftAsync(
        Tenant tenant, TenantDatabaseServer server, CatalogTenant row, TenantIntent intent, TenantDatabaseTarget spec,
        IReadOnlyList<TenantDatabaseStep> applied, DecidedRow decided, string actor, CancellationToken cancellationToken)
    {
        if (row.Status is not (CatalogTenantStatus.Active or CatalogTenantStatus.Suspended))
        {
            return;
        }

        var schema = await RepairSchemaAsync(server, row, intent, spec, applied, decided, cancellationToken);
        var what = TenantDrift.What(applied, SpecSettled(tenant), schema is not null);
        if (what.Count == 0)
        {
            return;
        }

        // After the repair, not before: a crash in between repairs again on the next pass (and records it then).
        await decided.BeforeActAsync(cancellationToken);
        var repair = new DriftRepair(what, [.. applied.Select(step => step.GetType().Name)], schema?.From?.ToString(), schema?.To.ToString());
        await lifecycle.Catalog.RecordDriftRepairAsync(row.Id, repair, actor, cancellationToken);
        await events.RecordAsync(tenant, EventRecorder.Normal, TenantEventReason.DriftRepaired.ToWire(), $"Repaired what was changed by hand: {string.Join(", ", what)}.", cancellationToken);
        Log.DriftRepaired(logger, intent.Slug, string.Join(", ", what));
    }

    /// <summary>
    /// Migrates the database back to the catalog's recorded version when its own changelog is behind it (a database
    /// dropped and created again is empty); null when the schema needed nothing. A database this pass created or had to
    /// re-mark is checked in the owner's migration session (it is being repaired anyway); any other is read through the
    /// tenant's own login, which costs no DDL, so a healthy resync stays free of writes. A suspended tenant cannot log in,
    /// so only its re-created database is checked.
    /// </summary>
    private async Task<SchemaMigrationOutcome?> RepairSchemaAsync(
        TenantDatabaseServer server, CatalogTenant row, TenantIntent intent, TenantDatabaseTarget spec,
        IReadOnlyList<TenantDatabaseStep> applied, DecidedRow decided, CancellationToken cancellationToken)
    {
        if (row.SchemaVersion is null || !SchemaVersion.TryParse(row.SchemaVersion, out var recorded))
        {
            return null;
        }

        if (!TenantDrift.DatabaseIsNew(applied))
        {
            if (intent.Suspended)
            {
                return null;
            }

            var (observed, current) = await ObserveSchemaAsync(server, intent, spec, cancellationToken);
            if (!observed)
            {
                return null;
            }

            if (current is not null && current >= recorded)
            {
                if (current > recorded)
                {
                    Log.SchemaAhead(logger, intent.Slug, current.ToString(), row.SchemaVersion);
                }

                return null;
            }
        }

        // The version to migrate back to is the row's.
        await decided.BeforeActAsync(cancellationToken);
        SchemaMigrationOutcome? outcome = null;
        await OnServerAsync(server, async () =>
        {
            // The owner's own session, as for every migration (ADR-CP-008); to the recorded version, not the spec's:
            // moving on to a newer spec.schemaVersion is the ordinary migration that follows, with its own event.
            outcome = await server.Administrator.MigrateAsync(spec, lifecycle.Migrator, recorded, cancellationToken);
        });
        return outcome!.Changed ? outcome : null;
    }

    /// <summary>
    /// The tenant database's schema version from its own changelog, read as the application role with its Secret's
    /// password. Not observed (false) when that login is refused for a reason of the tenant's (the password in the Secret
    /// no longer opens the role, its connection limit is reached, CONNECT or SELECT was revoked): logged, nothing repaired.
    /// </summary>
    private async Task<(bool Observed, SchemaVersion? Version)> ObserveSchemaAsync(
        TenantDatabaseServer server, TenantIntent intent, TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        var password = await lifecycle.Secrets.ReadAsync(intent.SecretRef, cancellationToken);
        var result = (Observed: false, Version: (SchemaVersion?)null);
        await OnServerAsync(server, async () =>
        {
            try
            {
                result = (true, await server.Administrator.ObserveSchemaVersionAsync(spec, password.Reveal(), cancellationToken));
            }
            catch (PostgresException e) when (IsRefusedLogin(e))
            {
                // Caught here, inside: the server-failure mapping would read a refused tenant login as the admin's.
                Log.SchemaUnobservable(logger, intent.Slug, e.SqlState, e.MessageText);
            }
        });
        return result;
    }

    private static bool IsRefusedLogin(PostgresException e) =>
        e.SqlState.StartsWith("28", StringComparison.Ordinal)        // invalid authorization: wrong password, NOLOGIN
        || e.SqlState is PostgresErrorCodes.TooManyConnections       // the role's connection limit is reached
            or PostgresErrorCodes.InsufficientPrivilege             // CONNECT or SELECT on the changelog revoked
            or PostgresErrorCodes.InvalidCatalogName;               // the database vanished since the converge

    /// <summary>
    /// Whether the spec is the one the last converge reached (Ready names a converged outcome for this generation):
    /// then a login, limit or CONNECT step is drift, otherwise it may be the spec change itself.
    /// </summary>
    private static bool SpecSettled(Tenant tenant) =>
        Conditions.Find(tenant.Status.Conditions, TenantConditions.Ready) is { } ready
        && ready.ObservedGeneration == tenant.Metadata.Generation
        && TenantReadyReasons.TryParse(ready.Reason, out var reason) && reason is TenantReadyReason.Provisioned or TenantReadyReason.Suspended;
}
