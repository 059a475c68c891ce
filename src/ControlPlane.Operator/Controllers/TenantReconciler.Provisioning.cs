using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using Npgsql;
using CatalogOwner = ControlPlane.Store.Catalog.TenantOwner;
using CatalogTenant = ControlPlane.Store.Catalog.Tenant;
using CatalogTenantStatus = ControlPlane.Store.Catalog.TenantStatus;
using DatabaseSpec = ControlPlane.Store.TenantDatabases.TenantDatabaseSpec;
using Tenant = ControlPlane.Operator.Api.V1Alpha1.Tenant;

namespace ControlPlane.Operator.Controllers;

/// <summary>Provisioning, suspension, resumption and drift correction of a live Tenant.</summary>
public sealed partial class TenantReconciler
{
    private async Task<ReconcileResult> ProvisionAsync(Tenant tenant, TenantIntent intent, SchemaVersion target, CancellationToken cancellationToken)
    {
        var actor = Actor(tenant);
        var server = lifecycle.Servers.Get(intent.Server);
        var address = new TenantDatabaseServerAddress(server.Name, server.Host, server.Port);
        CatalogTenant? row = null;
        try
        {
            row = await FindOrRegisterAsync(tenant, intent, address, actor, cancellationToken);
            tenant = await _status.UpdateAsync(tenant, t => TenantStatusRules.Registered(t, row, intent, time.GetUtcNow()), cancellationToken) ?? tenant;
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.Registered, cancellationToken);

            var provisioning = row.Status == CatalogTenantStatus.Provisioning;
            var ownership = await OwnershipAsync(tenant, row, intent, address, cancellationToken);
            var spec = intent.DatabaseSpec(ownership);
            if (provisioning)
            {
                // Proven before the secret is generated or read: a conflicting tenant leaves no trace anywhere.
                await ProveAsync(server, spec, cancellationToken);
            }

            var password = provisioning ? await EnsurePasswordAsync(intent, cancellationToken) : null;
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.SecretEnsured, cancellationToken);

            await ConvergeDatabaseAsync(server, intent, spec, password, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.DatabaseConverged, cancellationToken);

            if (provisioning && ownership.AdoptFrom is { } previous)
            {
                row = await lifecycle.Catalog.RecordAdoptionAsync(row.Id, previous, actor, cancellationToken);
            }

            var from = row.SchemaVersion;
            row = await MigrateAsync(server, row, intent, spec, target, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.Migrated, cancellationToken);

            var before = row.Status;
            row = await SyncCatalogAsync(row, intent, actor, cancellationToken);
            await lifecycle.Faults.AfterAsync(ProvisioningSteps.CatalogUpdated, cancellationToken);

            var written = await _status.UpdateAsync(tenant, t => TenantStatusRules.Converged(t, row, intent, time.GetUtcNow()), cancellationToken);
            await AnnounceAsync(written ?? tenant, before, row, from, cancellationToken);
            (_, var nextRotation) = await RotateCredentialsAsync(written ?? tenant, server, row, intent, spec, actor, cancellationToken);
            return AfterRotation(nextRotation);
        }
        catch (SlugTakenException)
        {
            return await BlockAsync(tenant, null, TenantConditions.Reasons.SlugConflict,
                $"The slug '{intent.Slug}' belongs to another live tenant (compared case-insensitively); nothing was changed.",
                ReconcileResult.RequeueAfter(BlockedRecheck), cancellationToken);
        }
        catch (DatabaseNameTakenException)
        {
            return await BlockAsync(tenant, null, TenantConditions.Reasons.DatabaseNameConflict,
                $"The database name '{intent.Database}' belongs to another live tenant; set spec.database.name. Nothing was changed.",
                ReconcileResult.RequeueAfter(BlockedRecheck), cancellationToken);
        }
        catch (OwnerTakenException e)
        {
            return await BlockAsync(tenant, null, TenantConditions.Reasons.DatabaseConflict, e.Message,
                ReconcileResult.RequeueAfter(BlockedRecheck), cancellationToken);
        }
        catch (TenantDatabaseConflictException e)
        {
            return await BlockAsync(tenant, row, TenantConditions.Reasons.DatabaseConflict, e.Message,
                ReconcileResult.RequeueAfter(BlockedRecheck), cancellationToken);
        }
        catch (SchemaMigrationException e)
        {
            var result = e.Reason == TenantConditions.Reasons.SchemaMigrationFailed
                ? ReconcileResult.TransientError(e.Message, e)
                : ReconcileResult.TerminalError(e.Reason, e.Message);
            return await BlockAsync(tenant, row, e.Reason, e.Message, result, cancellationToken);
        }
        catch (TenantServerException e)
        {
            return await BlockAsync(tenant, row, e.Reason, e.Message, ReconcileResult.TransientError(e.Message, e), cancellationToken);
        }
        catch (SecretStoreException e)
        {
            var result = e.IsTransient ? ReconcileResult.TransientError(e.Message, e) : ReconcileResult.RequeueAfter(BlockedRecheck);
            return await BlockAsync(tenant, row, TenantConditions.Reasons.SecretUnavailable, e.Message, result, cancellationToken);
        }
        catch (NpgsqlException e)
        {
            // Tenant server failures are TenantServerException; what is left is the catalog itself, so no catalog event.
            var message = $"The control-plane catalog cannot be reached: {Describe(e)}";
            return await BlockAsync(tenant, null, TenantConditions.Reasons.CatalogUnavailable, message,
                ReconcileResult.TransientError(message, e), cancellationToken);
        }
    }

    /// <summary>
    /// The tenant's catalog row. Status is a cache: first the id it records (when the row is this object's), then the
    /// live row the catalog records for this object's namespace and name (status lost by a restore or a re-creation
    /// from Git; re-adopted only when slug, database, role and server match), else a new registration (the catalog
    /// returns the existing row when a crash came between registering and recording the id, and refuses a slug or
    /// database name another tenant holds).
    /// </summary>
    private async Task<CatalogTenant> FindOrRegisterAsync(
        Tenant tenant, TenantIntent intent, TenantDatabaseServerAddress server, string actor, CancellationToken cancellationToken)
    {
        var owner = OwnerOf(tenant);
        if (await RowFromStatusAsync(tenant, cancellationToken) is { } known)
        {
            // Rows of the previous release have no owner: the Tenant whose status names the row is recorded as its owner.
            return await lifecycle.Catalog.RecordOwnerAsync(known.Id, owner, actor, cancellationToken);
        }

        if (await lifecycle.Catalog.FindLiveByOwnerAsync(owner.Namespace, owner.Name, cancellationToken) is { } recorded)
        {
            if (!intent.Describes(recorded, server))
            {
                throw new TenantDatabaseConflictException(TenantConditions.Reasons.DatabaseConflict,
                    $"The catalog records tenant {recorded.Id} (slug '{recorded.Slug}', database {recorded.DbName}) for this Tenant, and the spec describes another; nothing was changed.");
            }

            Log.Readopted(logger, intent.Slug, recorded.Id);
            return await lifecycle.Catalog.RecordOwnerAsync(recorded.Id, owner, actor, cancellationToken);
        }

        // Before the first write for a new tenant, prove the server can be reached the configured way (TLS included):
        // a refused certificate then leaves no catalog row, no secret and no database behind.
        var target = lifecycle.Servers.Get(server.Name);
        await OnServerAsync(target, () => target.Administrator.CheckReachableAsync(cancellationToken));
        return await lifecycle.Catalog.RegisterAsync(intent.Registration(server, owner), actor, cancellationToken);
    }

    /// <summary>
    /// The row status.tenantId names when it is live and this object's (same namespace and name, or no owner recorded
    /// yet); null when status is empty or stale.
    /// </summary>
    private async Task<CatalogTenant?> RowFromStatusAsync(Tenant tenant, CancellationToken cancellationToken)
    {
        if (!Guid.TryParse(tenant.Status.TenantId, out var id))
        {
            return null;
        }

        try
        {
            var known = await lifecycle.Catalog.GetByIdAsync(id, cancellationToken);
            return known.Status != CatalogTenantStatus.Deleted && (known.Owner is null || known.Owner.IsSameObject(OwnerOf(tenant))) ? known : null;
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
            throw new TenantDatabaseConflictException(TenantConditions.Reasons.DatabaseConflict,
                $"spec.database.adoptFrom {from} names no deleted tenant of this namespace that retained database {intent.Database} on this server; nothing was changed.");
        }

        return new TenantOwnership(row.Id, AdoptFrom: from);
    }

    /// <summary>Refuses, before any side effect, a tenant whose names are held by objects it cannot prove its own.</summary>
    private static async Task ProveAsync(TenantDatabaseServer server, DatabaseSpec spec, CancellationToken cancellationToken)
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

    private async Task ConvergeDatabaseAsync(
        TenantDatabaseServer server, TenantIntent intent, DatabaseSpec spec, ScramVerifier? password, CancellationToken cancellationToken)
    {
        await OnServerAsync(server, async () =>
        {
            // Past provisioning, the secret is read only if the role must be re-created (dropped by hand).
            var applied = await server.Administrator.ConvergeAsync(
                spec, password is null ? ct => EnsurePasswordAsync(intent, ct) : _ => Task.FromResult(password), cancellationToken);

            // While provisioning, the role gets the secret's password even if an earlier attempt created it, so a secret
            // replaced between attempts cannot leave the two apart. Active tenants run no DDL here.
            if (password is not null)
            {
                await server.Administrator.SetPasswordAsync(spec, password, cancellationToken);
            }

            if (applied.Count > 0)
            {
                Log.DatabaseConverged(logger, intent.Slug, string.Join(", ", applied.Select(step => step.GetType().Name)));
            }
        });
    }

    /// <summary>Brings the schema to the target when the catalog says it is elsewhere; a converged tenant costs no connection.</summary>
    private async Task<CatalogTenant> MigrateAsync(
        TenantDatabaseServer server, CatalogTenant row, TenantIntent intent, DatabaseSpec spec, SchemaVersion target, string actor, CancellationToken cancellationToken)
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
            throw new SchemaMigrationException(TenantConditions.Reasons.SchemaDowngradeRefused,
                $"The tenant is at schema version {current}; spec.schemaVersion {target} is older and there are no down-migrations.");
        }

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
    private async Task<CatalogTenant> SyncCatalogAsync(CatalogTenant row, TenantIntent intent, string actor, CancellationToken cancellationToken)
    {
        var catalog = lifecycle.Catalog;
        if (row.Status == CatalogTenantStatus.Provisioning)
        {
            row = await catalog.MarkActiveAsync(row.Id, actor, cancellationToken);
        }

        if (intent.Suspended && (row.Status != CatalogTenantStatus.Suspended || row.SuspendedReason != intent.SuspendedReason))
        {
            row = await catalog.MarkSuspendedAsync(row.Id, intent.SuspendedReason, actor, cancellationToken);
        }
        else if (!intent.Suspended && row.Status == CatalogTenantStatus.Suspended)
        {
            row = await catalog.MarkResumedAsync(row.Id, actor, cancellationToken);
        }

        var profile = intent.Profile(row);
        if (profile != TenantProfile.Of(row))
        {
            row = await catalog.UpdateProfileAsync(row.Id, profile, actor, cancellationToken);
        }

        var limits = await catalog.GetLimitsAsync(row.Id, cancellationToken);
        if (limits is null ? intent.Limits != new Store.Catalog.TenantLimits() : limits with { Notes = null } != intent.Limits)
        {
            await catalog.UpdateLimitsAsync(row.Id, intent.Limits with { Notes = limits?.Notes }, actor, cancellationToken);
        }

        return row;
    }

    /// <summary>Kubernetes Events for transitions only, so a resync adds nothing.</summary>
    private async Task AnnounceAsync(Tenant tenant, CatalogTenantStatus before, CatalogTenant row, string? fromVersion, CancellationToken cancellationToken)
    {
        if (before == CatalogTenantStatus.Provisioning)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantConditions.Reasons.Provisioned,
                $"Database {row.DbName} provisioned at schema version {row.SchemaVersion}.", cancellationToken);
        }
        else if (fromVersion != row.SchemaVersion)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, "Migrated",
                $"Schema migrated from {fromVersion} to {row.SchemaVersion}.", cancellationToken);
        }

        if (before != row.Status && row.Status == CatalogTenantStatus.Suspended)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, TenantConditions.Reasons.Suspended,
                $"Suspended: {row.SuspendedReason}", cancellationToken);
        }
        else if (before == CatalogTenantStatus.Suspended && row.Status == CatalogTenantStatus.Active)
        {
            await events.RecordAsync(tenant, EventRecorder.Normal, "Resumed", "Logins and connections are allowed again.", cancellationToken);
        }
    }

    /// <summary>
    /// Ready=False with the reason, a Warning event (repeats raise its count) and a catalog <c>error</c> event unless the
    /// newest catalog event already reports this very problem (a retry of the same failure adds nothing), then the result.
    /// </summary>
    private async Task<ReconcileResult> BlockAsync(
        Tenant tenant, CatalogTenant? row, string reason, string message, ReconcileResult result, CancellationToken cancellationToken)
    {
        var written = await _status.UpdateAsync(tenant, t => TenantStatusRules.Blocked(t, reason, message, time.GetUtcNow()), cancellationToken);
        await events.RecordAsync(written ?? tenant, EventRecorder.Warning, reason, message, cancellationToken);
        if (row is not null && !await IsLatestErrorAsync(row.Id, reason, message, cancellationToken))
        {
            await lifecycle.Catalog.RecordErrorAsync(row.Id, reason, message, Actor(tenant), cancellationToken);
        }

        Log.Blocked(logger, TenantSpecRules.EffectiveSlug(tenant), reason, message);
        return result;
    }

    private async Task<bool> IsLatestErrorAsync(Guid tenantId, string reason, string message, CancellationToken cancellationToken)
    {
        var newest = (await lifecycle.Catalog.GetEventsAsync(tenantId, 1, null, cancellationToken)).Items.FirstOrDefault();
        return newest is { EventType: "error", Payload: { } payload }
            && payload.TryGetProperty("reason", out var r) && r.GetString() == reason
            && payload.TryGetProperty("message", out var m) && m.GetString() == message;
    }

    /// <summary>Runs work against a tenant database server, turning its connection failures into one typed error.</summary>
    private static async Task OnServerAsync(TenantDatabaseServer server, Func<Task> work)
    {
        try
        {
            await work();
        }
        catch (NpgsqlException e) when (TlsFailure(e) is { } tls)
        {
            throw new TenantServerException(
                $"TLS to tenant database server '{server.Name}' ({server.Host}:{server.Port}, sslmode {server.Tls?.ModeName ?? "default"}" +
                $"{(server.Tls?.RootCertificate is { } ca ? $", CA {ca}" : "")}) failed: {tls}",
                e,
                TenantConditions.Reasons.DatabaseServerTlsFailed);
        }
        catch (NpgsqlException e) when (e is not PostgresException || IsServerSide((PostgresException)e))
        {
            var denied = e is PostgresException { SqlState: PostgresErrorCodes.InsufficientPrivilege };
            throw new TenantServerException(
                denied
                    ? $"The admin role of tenant database server '{server.Name}' lacks a privilege (it needs CREATEDB and CREATEROLE, see docs/lifecycle.md): {Describe(e)}"
                    : $"Tenant database server '{server.Name}' ({server.Host}:{server.Port}) failed: {Describe(e)}",
                e,
                denied ? TenantConditions.Reasons.DatabasePermissionDenied : TenantConditions.Reasons.DatabaseServerUnavailable);
        }
    }

    /// <summary>
    /// Why TLS failed, in stable words (the chain, the name, or no TLS at all), or null for any other failure. The
    /// certificate check's own message says which: "…because of errors in the certificate chain: UntrustedRoot" or
    /// "…RemoteCertificateNameMismatch".
    /// </summary>
    private static string? TlsFailure(NpgsqlException e)
    {
        for (Exception? inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Security.Authentication.AuthenticationException authentication)
            {
                return authentication.Message;
            }
        }

        // Npgsql's words when the server answers the TLS request with "no": the mode demands TLS and the server has none.
        return e is not PostgresException && e.Message.Contains("SSL", StringComparison.Ordinal) && e.Message.Contains("not", StringComparison.OrdinalIgnoreCase)
            ? "the server does not offer TLS"
            : null;
    }

    private static bool IsServerSide(PostgresException e) =>
        e.SqlState.StartsWith("08", StringComparison.Ordinal)    // connection exceptions
        || e.SqlState.StartsWith("28", StringComparison.Ordinal) // invalid authorization (admin password wrong)
        || e.SqlState.StartsWith("53", StringComparison.Ordinal) // insufficient resources
        || e.SqlState.StartsWith("57", StringComparison.Ordinal) // operator intervention (shutdown, cancel)
        || e.SqlState == PostgresErrorCodes.InsufficientPrivilege;

    /// <summary>
    /// A stable description: the same outage must read the same on every retry, so that conditions and the catalog's
    /// error events do not churn with the socket layer's wording.
    /// </summary>
    /// <remarks>
    /// Transport failures of one outage surface in several shapes (refused, reset, closed mid-handshake, timed out); the
    /// condition says only that the server is unreachable, and the exception with its detail goes to the log.
    /// </remarks>
    private static string Describe(NpgsqlException e) => e switch
    {
        PostgresException postgres => $"{postgres.SqlState}: {postgres.MessageText}",
        _ => "unreachable (connection refused, closed or timed out)",
    };
}
