using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using Npgsql;
using CatalogOwner = ControlPlane.Store.Catalog.TenantOwner;

namespace ControlPlane.Operator.Controllers;

/// <summary>Provisioning, suspension, resumption and drift correction of a live Tenant.</summary>
public sealed partial class TenantReconciler
{
    // fromSnapshot: whether a healthy tenant's row may come from the catalog snapshot (TenantReconciler.Snapshot.cs).
    private async Task<ReconcileResult> ProvisionAsync(Tenant tenant, TenantIntent intent, SchemaVersion target, bool fromSnapshot, CancellationToken cancellationToken)
    {
        var actor = Actor(tenant);
        var server = lifecycle.Servers.Get(intent.Server);
        var address = new TenantDatabaseServerAddress(server.Name, server.Host, server.Port);
        CatalogTenant? row = null;
        try
        {
            (row, var limits, var decided) = await FindOrRegisterAsync(tenant, intent, address, actor, fromSnapshot, cancellationToken);
            tenant = await UpdateStatusAsync(tenant, t => TenantStatusRules.Registered(t, row, intent, time.GetUtcNow()), decided, cancellationToken) ?? tenant;
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.Registered, cancellationToken);

            var provisioning = row.Status == CatalogTenantStatus.Provisioning;
            var ownership = await OwnershipAsync(tenant, row, intent, address, cancellationToken);
            var spec = intent.DatabaseTarget(ownership);
            if (provisioning)
            {
                // Proven before the secret is generated or read: a conflicting tenant leaves no trace anywhere.
                await ProveAsync(server, spec, cancellationToken);
            }

            var password = provisioning ? await EnsurePasswordAsync(intent, cancellationToken) : null;
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.SecretEnsured, cancellationToken);

            var applied = await ConvergeDatabaseAsync(server, intent, spec, password, decided, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.DatabaseConverged, cancellationToken);

            if (provisioning && ownership.AdoptFrom is { } previous)
            {
                await decided.BeforeActAsync(cancellationToken);
                row = await lifecycle.Catalog.RecordAdoptionAsync(row.Id, previous, actor, cancellationToken);
            }

            // Drift repair (TenantReconciler.Drift.cs): a schema behind the recorded version, one catalog event per repair.
            await RepairDriftAsync(tenant, server, row, intent, spec, applied, decided, actor, cancellationToken);

            var from = row.SchemaVersion;
            row = await MigrateAsync(server, row, intent, spec, target, decided, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.Migrated, cancellationToken);

            var before = row.Status;
            row = await SyncCatalogAsync(row, limits, intent, decided, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.CatalogUpdated, cancellationToken);

            var written = await UpdateStatusAsync(tenant, t => TenantStatusRules.Converged(t, row, intent, time.GetUtcNow()), decided, cancellationToken);
            await AnnounceAsync(written ?? tenant, before, row, from, cancellationToken);
            (_, var nextRotation) = await RotateCredentialsAsync(written ?? tenant, server, row, intent, spec, decided, actor, cancellationToken);
            lifecycle.Failures.Succeeded(FailureKey(tenant));

            // Healthy: looked at again after the jittered resync period to find drift (TenantResync says why not a relist),
            // or sooner when a scheduled rotation falls due.
            return AfterRotation(nextRotation, _resync.Next());
        }
        catch (Exception e) when (e is not SnapshotRowChangedException && (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested))
        {
            // The failure path uses only the row's id, which never changes: a snapshot row serves it as well as a fresh one.
            return await FailAsync(tenant, row, TenantFailures.Classify(e), e, cancellationToken);
        }
    }

    /// <summary>
    /// The tenant's catalog row. Status is a cache: first the id it records (when the row is this object's), then the
    /// live row the catalog records for this object's namespace and name (status lost by a restore or a re-creation
    /// from Git; re-adopted only when slug, database, role and server match), else a new registration (the catalog
    /// returns the existing row when a crash came between registering and recording the id, and refuses a slug or
    /// database name another tenant holds). The limits come with the row when status named it (a healthy resync's only
    /// catalog statement, or none when the snapshot holds the row); null otherwise, and then read when they are compared.
    /// </summary>
    private async Task<(CatalogTenant Row, TenantWithLimits? Limits, DecidedRow Decided)> FindOrRegisterAsync(
        Tenant tenant, TenantIntent intent, TenantDatabaseServerAddress server, string actor, bool fromSnapshot, CancellationToken cancellationToken)
    {
        var owner = OwnerOf(tenant);
        if (await RowFromStatusAsync(tenant, fromSnapshot, cancellationToken) is { } found)
        {
            var (known, snapshot) = found;
            var decided = snapshot ? new DecidedRow(lifecycle.Catalog, known, lifecycle.Snapshot) : DecidedRow.Fresh;

            // Rows of the previous release have no owner: the Tenant whose status names the row is recorded as its owner.
            // A row that already records exactly this object costs no locking transaction (a resync reads, never writes).
            var row = await ServerRecordedAsync(known.Tenant, server, decided, actor, cancellationToken);
            if (row.Owner == owner)
            {
                return (row, known, decided);
            }

            await decided.BeforeActAsync(cancellationToken);
            return (await lifecycle.Catalog.RecordOwnerAsync(row.Id, owner, actor, cancellationToken), known, decided);
        }

        if (await lifecycle.Catalog.FindLiveByOwnerAsync(owner.Namespace, owner.Name, cancellationToken) is { } recorded)
        {
            if (!intent.Describes(recorded, server))
            {
                throw new TenantDatabaseConflictException(TenantDatabaseConflictKind.CatalogMismatch,
                    $"The catalog records tenant {recorded.Id} (slug '{recorded.Slug}', database {recorded.DbName}) for this Tenant, and the spec describes another; nothing was changed.");
            }

            Log.Readopted(logger, intent.Slug, recorded.Id);
            recorded = await ServerRecordedAsync(recorded, server, DecidedRow.Fresh, actor, cancellationToken);
            lifecycle.Placements.Release(owner);
            return (await lifecycle.Catalog.RecordOwnerAsync(recorded.Id, owner, actor, cancellationToken), null, DecidedRow.Fresh);
        }

        // Before the first write for a new tenant, prove the server can be reached the configured way (TLS included):
        // a refused certificate then leaves no catalog row, no secret and no database behind.
        var target = lifecycle.Servers.Get(server.Name);
        await OnServerAsync(target, () => target.Administrator.CheckReachableAsync(cancellationToken));
        var registered = await lifecycle.Catalog.RegisterAsync(intent.Registration(server, owner), actor, cancellationToken);

        // The catalog counts the tenant on its server from now on; the placement no longer needs holding (ADR-CP-010).
        lifecycle.Placements.Release(owner);
        return (registered, null, DecidedRow.Fresh);
    }

    /// <summary>
    /// The row's server, which never moves: a row naming another server than the Tenant (spec, or placement in
    /// status) is a conflict; a row of the previous release (no server recorded) at this server's address is backfilled.
    /// </summary>
    private async Task<CatalogTenant> ServerRecordedAsync(
        CatalogTenant row, TenantDatabaseServerAddress server, DecidedRow decided, string actor, CancellationToken cancellationToken)
    {
        if (row.DbServer == server.Name)
        {
            return row;
        }

        if (row.DbServer is not null)
        {
            throw new TenantDatabaseConflictException(TenantDatabaseConflictKind.CatalogMismatch,
                $"The catalog records tenant {row.Id} on database server '{row.DbServer}', and this Tenant names '{server.Name}'; a tenant never moves between servers. Nothing was changed.");
        }

        if (!string.Equals(row.DbHost, server.Host, StringComparison.OrdinalIgnoreCase) || row.DbPort != server.Port)
        {
            return row;
        }

        await decided.BeforeActAsync(cancellationToken);
        return await lifecycle.Catalog.RecordServerAsync(row.Id, server.Name, actor, cancellationToken);
    }

    /// <summary>
    /// The row status.tenantId names when it is live and this object's (same namespace and name, or no owner recorded
    /// yet), with its limits; null when status is empty or stale. With <paramref name="fromSnapshot"/>, an Active or
    /// Suspended row this object owns comes from the leader's catalog snapshot when it holds one (Snapshot true); every
    /// other case (no snapshot, not in it, provisioning, deleting, another owner) is read from the catalog.
    /// </summary>
    private async Task<(TenantWithLimits Read, bool Snapshot)?> RowFromStatusAsync(Tenant tenant, bool fromSnapshot, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(tenant.Status.TenantId, out var id))
        {
            return null;
        }

        bool Mine(CatalogTenant row) =>
            row.Status != CatalogTenantStatus.Deleted && (row.Owner is null || row.Owner.IsSameObject(OwnerOf(tenant)));

        if (fromSnapshot && await SnapshotRowAsync(id, cancellationToken) is { } cached
            && cached.Tenant.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended && cached.Tenant.Owner is not null && Mine(cached.Tenant))
        {
            lifecycle.Snapshot?.Metrics?.RowRead(fromSnapshot: true);
            return (cached, true);
        }

        try
        {
            var known = await lifecycle.Catalog.GetWithLimitsAsync(id, cancellationToken);
            lifecycle.Snapshot?.Metrics?.RowRead(fromSnapshot: false);
            return Mine(known.Tenant) ? (known, false) : null;
        }
        catch (TenantNotFoundException)
        {
            // The row was removed by hand: found by owner or registered again.
            return null;
        }
    }

    private static CatalogOwner OwnerOf(Tenant tenant) => TenantIntent.OwnerOf(tenant);

    /// <summary>
    /// Whose objects this reconcile may touch: the row's own marks; those of a deleted tenant named by
    /// spec.database.adoptFrom once the catalog proves the request legitimate; unmarked objects only when this row
    /// proves it finished provisioning them under the previous release (Active or Suspended with the same database,
    /// role and server).
    /// </summary>
    private async Task<TenantOwnership> OwnershipAsync(
        Tenant tenant, CatalogTenant row, TenantIntent intent, TenantDatabaseServerAddress server, CancellationToken cancellationToken)
    {
        var claim = row.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended && intent.Describes(row, server);
        if (intent.AdoptFrom is not { } from || row.Status != CatalogTenantStatus.Provisioning)
        {
            return new TenantOwnership(row.Id, ClaimUnmarked: claim);
        }

        CatalogTenant? previous;
        try
        {
            previous = await lifecycle.Catalog.GetByIdAsync(from, cancellationToken);
        }
        catch (TenantNotFoundException)
        {
            previous = null;
        }

        // One message for every refusal, so a Tenant author learns nothing about tenants of other namespaces.
        if (previous is null
            || previous.Status != CatalogTenantStatus.Deleted
            || previous.Owner?.Namespace != tenant.Metadata.NamespaceProperty
            || previous.DbName != intent.Database
            || !string.Equals(previous.DbHost, server.Host, StringComparison.OrdinalIgnoreCase)
            || previous.DbPort != server.Port)
        {
            throw new TenantDatabaseConflictException(TenantDatabaseConflictKind.CatalogMismatch,
                $"spec.database.adoptFrom {from} names no deleted tenant of this namespace that retained database {intent.Database} on this server; nothing was changed.");
        }

        return new TenantOwnership(row.Id, AdoptFrom: from);
    }

    /// <summary>Refuses, before any side effect, a tenant whose names are held by objects it cannot prove its own.</summary>
    private static async Task ProveAsync(TenantDatabaseServer server, TenantDatabaseTarget spec, CancellationToken cancellationToken)
    {
        TenantOwnershipProof? proof = null;
        await OnServerAsync(server, async () => proof = await server.Administrator.ProveAsync(spec, cancellationToken));
        if (proof!.Problem is { } problem)
        {
            throw problem;
        }
    }

    /// <summary>The password the role must have: generated once at the reference unless the spec names an existing secret.</summary>
    private async Task<ScramVerifier> EnsurePasswordAsync(TenantIntent intent, CancellationToken cancellationToken)
    {
        var password = intent.GeneratedSecret
            ? await lifecycle.Secrets.EnsureGeneratedPasswordAsync(intent.SecretRef, new SecretOwner(intent.Slug), cancellationToken)
            : await lifecycle.Secrets.ReadAsync(intent.SecretRef, cancellationToken);
        return ScramVerifier.Compute(password.Reveal());
    }

    /// <summary>Returns the steps applied (none for a converged tenant), which drift repair names.</summary>
    private async Task<IReadOnlyList<TenantDatabaseStep>> ConvergeDatabaseAsync(
        TenantDatabaseServer server, TenantIntent intent, TenantDatabaseTarget spec, ScramVerifier? password, DecidedRow decided, CancellationToken cancellationToken)
    {
        IReadOnlyList<TenantDatabaseStep> applied = [];
        await OnServerAsync(server, async () =>
        {
            // Past provisioning, the secret is read only if the role must be re-created (dropped by hand).
            // The spec's ownership came from the row: a plan with steps waits for the row to be proven current.
            applied = await server.Administrator.ConvergeAsync(
                spec, password is null ? ct => EnsurePasswordAsync(intent, ct) : _ => Task.FromResult(password), decided.BeforeActAsync, cancellationToken);

            // While provisioning, the role gets the secret's password even if an earlier attempt created it, so a secret
            // replaced between attempts cannot leave the two apart. Active tenants run no DDL here.
            if (password is not null)
            {
                await decided.BeforeActAsync(cancellationToken);
                await server.Administrator.SetPasswordAsync(spec, password, cancellationToken);
            }

            if (applied.Count > 0)
            {
                Log.DatabaseConverged(logger, intent.Slug, string.Join(", ", applied.Select(step => step.GetType().Name)));
            }
        });
        return applied;
    }

    /// <summary>Brings the schema to the target when the catalog says it is elsewhere; a converged tenant costs no connection.</summary>
    private async Task<CatalogTenant> MigrateAsync(
        TenantDatabaseServer server, CatalogTenant row, TenantIntent intent, TenantDatabaseTarget spec, SchemaVersion target, DecidedRow decided, string actor,
        CancellationToken cancellationToken)
    {
        if (row.SchemaVersion is not null && SchemaVersion.TryParse(row.SchemaVersion, out var recorded) && recorded == target)
        {
            return row;
        }

        // Unset means "the newest" only for a database being created: an existing tenant moves only when its
        // spec.schemaVersion is raised (by hand or by a SchemaRollout), never because a new version shipped (ADR-CP-006).
        if (intent.SchemaVersion is null && row.SchemaVersion is not null)
        {
            return row;
        }

        if (row.SchemaVersion is not null && SchemaVersion.TryParse(row.SchemaVersion, out var current) && current > target)
        {
            throw new SchemaMigrationException(SchemaMigrationFailureKind.DowngradeRefused,
                $"The tenant is at schema version {current}; spec.schemaVersion {target} is older and there are no down-migrations.");
        }

        await decided.BeforeActAsync(cancellationToken);
        SchemaMigrationOutcome? outcome = null;
        await OnServerAsync(server, async () =>
        {
            // In the tenant owner's own session, never the admin's: tenant code can fire during a migration (ADR-CP-008).
            outcome = await server.Administrator.MigrateAsync(spec, lifecycle.Migrator, target, cancellationToken);
        });

        // Recorded from the catalog's version, not the database's: after a crash between migrating and recording,
        // the database is already at the target and the catalog still says where it was.
        return await lifecycle.Catalog.RecordMigrationAsync(row.Id, row.SchemaVersion, outcome!.To.ToString(), actor, cancellationToken);
    }

    /// <summary>Catalog status, profile and limits as the spec says; each write only when something differs.</summary>
    private async Task<CatalogTenant> SyncCatalogAsync(
        CatalogTenant row, TenantWithLimits? read, TenantIntent intent, DecidedRow decided, string actor, CancellationToken cancellationToken)
    {
        var catalog = lifecycle.Catalog;
        if (row.Status == CatalogTenantStatus.Provisioning)
        {
            await decided.BeforeActAsync(cancellationToken);
            row = await catalog.MarkActiveAsync(row.Id, actor, cancellationToken);
        }

        if (intent.Suspended && (row.Status != CatalogTenantStatus.Suspended || row.SuspendedReason != intent.SuspendedReason))
        {
            await decided.BeforeActAsync(cancellationToken);
            row = await catalog.MarkSuspendedAsync(row.Id, intent.SuspendedReason, actor, cancellationToken);
        }
        else if (!intent.Suspended && row.Status == CatalogTenantStatus.Suspended)
        {
            await decided.BeforeActAsync(cancellationToken);
            row = await catalog.MarkResumedAsync(row.Id, actor, cancellationToken);
        }

        var profile = intent.Profile(row);
        if (profile != TenantProfile.Of(row))
        {
            await decided.BeforeActAsync(cancellationToken);
            row = await catalog.UpdateProfileAsync(row.Id, profile, actor, cancellationToken);
        }

        // Only this step writes limits, so those read with the row at the start of the reconcile are still current.
        var limits = read is not null ? read.Limits : await catalog.GetLimitsAsync(row.Id, cancellationToken);
        if (limits is null ? intent.Limits != new CatalogTenantLimits() : limits with { Notes = null } != intent.Limits)
        {
            // The notes kept are those read with the row: a snapshot's must be proven current first, or a note written
            // by hand since the snapshot would be overwritten with the old one.
            await decided.BeforeActAsync(cancellationToken);
            await catalog.UpdateLimitsAsync(row.Id, intent.Limits with { Notes = limits?.Notes }, actor, cancellationToken);
        }

        return row;
    }

    /// <summary>Kubernetes Events for transitions only, so a resync adds nothing.</summary>
    private async Task AnnounceAsync(Tenant tenant, CatalogTenantStatus before, CatalogTenant row, string? fromVersion, CancellationToken cancellationToken)
    {
        if (before == CatalogTenantStatus.Provisioning)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantReadyReason.Provisioned.ToWire(),
                $"Database {row.DbName} provisioned at schema version {row.SchemaVersion}.", cancellationToken);
        }
        else if (fromVersion != row.SchemaVersion)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantEventReason.Migrated.ToWire(),
                $"Schema migrated from {fromVersion} to {row.SchemaVersion}.", cancellationToken);
        }

        if (before != row.Status && row.Status == CatalogTenantStatus.Suspended)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantReadyReason.Suspended.ToWire(),
                $"Suspended: {row.SuspendedReason}", cancellationToken);
        }
        else if (before == CatalogTenantStatus.Suspended && row.Status == CatalogTenantStatus.Active)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantEventReason.Resumed.ToWire(), "Logins and connections are allowed again.", cancellationToken);
        }
    }
}
