using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The desired status for each outcome of a reconcile. Pure: no clock reads (the caller passes now), no I/O, and
/// the same inputs give the same status, so an unchanged tenant causes no status write.
/// </summary>
public static class TenantStatusRules
{
    /// <summary>The spec breaks a rule: Ready=False InvalidSpec with every problem in the message; the phase is kept.</summary>
    public static TenantStatus Invalid(Tenant tenant, IReadOnlyList<string> problems, DateTimeOffset now) =>
        With(tenant, tenant.Status.Phase ?? TenantPhases.Provisioning, TenantReadyReason.InvalidSpec, string.Join(" ", problems), now);

    /// <summary>
    /// The catalog row exists; its id is recorded at once so a crash later cannot lose the tenant's identity. The
    /// condition is left as it is (a resync of an Active tenant must not flip Ready), except that a tenant seen for
    /// the first time becomes Provisioning.
    /// </summary>
    public static TenantStatus Registered(Tenant tenant, CatalogTenant row, TenantIntent intent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(intent);
        var current = tenant.Status;
        var status = current.Phase is null || Conditions.Find(current.Conditions, TenantConditions.Ready) is null
            ? With(tenant, TenantPhases.Provisioning, TenantReadyReason.Provisioning, "Provisioning the tenant database.", now)
            : new TenantStatus
            {
                Phase = current.Phase,
                Slug = TenantSpecRules.EffectiveSlug(tenant),
                SchemaVersion = current.SchemaVersion,
                ObservedGeneration = current.ObservedGeneration,
                Conditions = current.Conditions,
            };
        status.TenantId = row.Id.ToString();
        status.SecretRef = intent.SecretRef.ToString();
        status.Database = DatabaseOf(row, intent);
        status.Credentials = current.Credentials;
        return status;
    }

    /// <summary>Provisioned and serving (Active), or provisioned and suspended.</summary>
    public static TenantStatus Converged(Tenant tenant, CatalogTenant row, TenantIntent intent, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(intent);
        var status = intent.Suspended
            ? With(tenant, TenantPhases.Suspended, TenantReadyReason.Suspended, $"Suspended: {intent.SuspendedReason}", now)
            : With(tenant, TenantPhases.Active, TenantReadyReason.Provisioned,
                $"Database {intent.Database} on server {intent.Server} is at schema version {row.SchemaVersion}.", now, ready: true);
        status.TenantId = row.Id.ToString();
        status.SchemaVersion = row.SchemaVersion;
        status.SecretRef = intent.SecretRef.ToString();
        status.Database = DatabaseOf(row, intent);
        return status;
    }

    /// <summary>Something stands in the way; the phase is kept and Ready=False names the reason.</summary>
    public static TenantStatus Blocked(Tenant tenant, TenantReadyReason reason, string message, DateTimeOffset now) =>
        With(tenant, tenant.Status.Phase ?? TenantPhases.Provisioning, reason, message, now);

    /// <summary>
    /// The current status with the rotation part replaced (<see cref="CredentialRotationRules.Status"/>); everything else,
    /// the Ready condition included, is kept. Equal inputs give an equal status, so a resync writes nothing.
    /// </summary>
    public static TenantStatus WithCredentials(Tenant tenant, TenantCredentialsStatus? credentials)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var current = tenant.Status;
        return new TenantStatus
        {
            Phase = current.Phase,
            Slug = current.Slug,
            TenantId = current.TenantId,
            SchemaVersion = current.SchemaVersion,
            Database = current.Database,
            SecretRef = current.SecretRef,
            Credentials = credentials,
            ObservedGeneration = current.ObservedGeneration,
            Conditions = current.Conditions,
        };
    }

    /// <summary>Deletion started; cleanup runs before the finalizer goes.</summary>
    public static TenantStatus Deleting(Tenant tenant, DateTimeOffset now) =>
        With(tenant, TenantPhases.Deleting, TenantReadyReason.Deleting, "The Tenant is being deleted.", now);

    private static TenantDatabaseStatus DatabaseOf(CatalogTenant row, TenantIntent intent) => new()
    {
        Server = intent.Server,
        Host = row.DbHost,
        Port = row.DbPort,
        Name = row.DbName,
        User = row.DbUser,
    };

    private static TenantStatus With(Tenant tenant, string phase, TenantReadyReason reason, string message, DateTimeOffset now, bool ready = false)
    {
        var generation = tenant.Metadata.Generation;
        var current = tenant.Status;
        return new TenantStatus
        {
            Phase = phase,
            Slug = TenantSpecRules.EffectiveSlug(tenant),
            TenantId = current.TenantId,
            SchemaVersion = current.SchemaVersion,
            Database = current.Database,
            SecretRef = current.SecretRef,
            Credentials = current.Credentials,
            ObservedGeneration = generation,
            Conditions = Conditions.Set(current.Conditions, TenantConditions.Ready, ready ? Conditions.True : Conditions.False, reason.ToWire(), message, generation, now),
        };
    }
}
