using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using CatalogOwner = ControlPlane.Store.Catalog.TenantOwner;
using TenantOwnership = ControlPlane.Store.TenantDatabases.TenantOwnership;
using TenantProfile = ControlPlane.Store.Catalog.TenantProfile;
using TenantRegistration = ControlPlane.Store.Catalog.TenantRegistration;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// What a valid Tenant asks for, with every default applied: the one place where the spec is turned into the
/// names, references and limits that the catalog, the secret store and the database server receive. Pure.
/// </summary>
public sealed record TenantIntent(
    string Slug,
    string DisplayName,
    string Server,
    string Database,
    string Role,
    int ConnectionLimit,
    bool Suspended,
    string SuspendedReason,
    bool Maintenance,
    SecretReference SecretRef,
    bool GeneratedSecret,
    string? SchemaVersion,
    string? BillingPlan,
    string? ContactEmail,
    CatalogTenantLimits Limits,
    bool DeleteData,
    Guid? AdoptFrom = null,
    TimeSpan? RotateEvery = null,
    string? RotationRequest = null)
{
    public const string DefaultSuspendedReason = "Suspended through the Tenant resource.";

    /// <summary>Only <see cref="TenantValidation"/> calls this, once the spec passed every rule (limits fit int4).</summary>
    /// <param name="tenant">A Tenant that passed the CRD's rules.</param>
    /// <param name="generatedSecretRef">Where a generated password goes for this slug (the secret store's planner).</param>
    internal static TenantIntent From(Tenant tenant, Func<string, SecretReference> generatedSecretRef)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(generatedSecretRef);
        var spec = tenant.Spec;
        var slug = TenantSpecRules.EffectiveSlug(tenant);
        var database = TenantSpecRules.EffectiveDatabaseName(tenant);
        var given = spec.Credentials?.SecretRef;
        var limits = spec.Limits;
        return new TenantIntent(
            Slug: slug,
            DisplayName: string.IsNullOrWhiteSpace(spec.DisplayName) ? slug : spec.DisplayName,
            Server: TenantSpecRules.EffectiveServer(tenant),
            Database: database,

            // One login role per tenant database, named like it (roles and databases are separate namespaces).
            Role: database,
            ConnectionLimit: limits?.MaxConnections is { } connections ? checked((int)connections) : -1,
            Suspended: spec.Suspended == true,
            SuspendedReason: string.IsNullOrWhiteSpace(spec.SuspendedReason) ? DefaultSuspendedReason : spec.SuspendedReason,
            Maintenance: spec.Maintenance == true,
            SecretRef: given is null ? generatedSecretRef(slug) : SecretReference.Parse(given),
            GeneratedSecret: given is null,
            SchemaVersion: spec.SchemaVersion,
            BillingPlan: spec.BillingPlan,
            ContactEmail: spec.ContactEmail,
            Limits: new CatalogTenantLimits(
                MaxDbSizeMb: limits?.MaxDbSizeMb is { } size ? checked((int)size) : null,
                MaxUsers: limits?.MaxUsers is { } users ? checked((int)users) : null,
                MaxAttachmentsGb: limits?.MaxAttachmentsGb is { } attachments ? checked((int)attachments) : null),
            DeleteData: spec.DeletionPolicy == DeletionPolicies.Delete,
            AdoptFrom: Guid.TryParse(spec.Database?.AdoptFrom, out var previous) ? previous : null,
            RotateEvery: RotationPeriod.Parse(spec.Credentials?.RotateEvery),
            RotationRequest: CredentialRotationRules.Request(tenant));
    }

    /// <summary>The database and roles as they should be, touched only where <paramref name="ownership"/> proves them the tenant's.</summary>
    public TenantDatabaseTarget DatabaseTarget(TenantOwnership ownership) =>
        new(Database, Role, ConnectionLimit, Suspended) { Ownership = ownership };

    public TenantProfile Profile(CatalogTenant row)
    {
        ArgumentNullException.ThrowIfNull(row);
        return new TenantProfile(DisplayName, BillingPlan, ContactEmail, Maintenance, row.AppVersion);
    }

    /// <summary>The Kubernetes object the catalog records as the tenant's owner (namespace and name; uid as a hint).</summary>
    public static CatalogOwner OwnerOf(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return new(tenant.Metadata.NamespaceProperty, tenant.Metadata.Name, tenant.Metadata.Uid);
    }

    public TenantRegistration Registration(TenantDatabaseServerAddress server, CatalogOwner owner) =>
        new(Slug, DisplayName, Database, server.Host, Role, SecretRef, server.Port, BillingPlan: BillingPlan, ContactEmail: ContactEmail, Owner: owner,
            DbServer: server.Name);

    /// <summary>
    /// Whether a catalog row describes this intent's tenant on <paramref name="server"/>: slug (case-insensitive),
    /// database, role, server address and server name (when the row records one). The test for re-adopting a row
    /// found through the recorded owner.
    /// </summary>
    public bool Describes(CatalogTenant row, TenantDatabaseServerAddress server)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(server);
        return string.Equals(row.Slug, Slug, StringComparison.OrdinalIgnoreCase)
            && row.DbName == Database
            && row.DbUser == Role
            && string.Equals(row.DbHost, server.Host, StringComparison.OrdinalIgnoreCase)
            && row.DbPort == server.Port
            && (row.DbServer is null || row.DbServer == server.Name);
    }
}

/// <summary>Where a tenant database server is reached, as recorded in the catalog.</summary>
public sealed record TenantDatabaseServerAddress(string Name, string Host, int Port);
