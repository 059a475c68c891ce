using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The defaults derived from other fields, in one place: the CRD's CEL rules (<see cref="TenantSpecSchema"/>), the
/// validation and the intent all derive slug, database name and server through these functions.
/// </summary>
public static class TenantSpecRules
{
    /// <summary><c>spec.slug</c>, or <c>metadata.name</c> when unset.</summary>
    public static string EffectiveSlug(Tenant tenant) => tenant.Spec.Slug ?? tenant.Metadata.Name;

    /// <summary><c>spec.database.name</c>, or the slug with '-' replaced by '_' (a valid PostgreSQL identifier for any valid slug).</summary>
    public static string EffectiveDatabaseName(Tenant tenant) =>
        tenant.Spec.Database?.Name ?? EffectiveSlug(tenant).Replace('-', '_');

    /// <summary>
    /// <c>spec.database.server</c>, else the placement status records, else the bootstrap <c>default</c> (what the CRD
    /// defaulted to before placement). The reconciler places an unplaced Tenant, or recovers its placement from the
    /// catalog, before anything reads this (ADR-CP-010), so the last fallback only serves pure callers.
    /// </summary>
    public static string EffectiveServer(Tenant tenant) =>
        tenant.Spec.Database?.Server ?? tenant.Status.Database?.Server ?? Provisioning.TenantDatabaseServers.BootstrapDefault;

    /// <summary>Whether the Tenant names no server and status records no placement yet.</summary>
    public static bool Unplaced(Tenant tenant) => tenant.Spec.Database?.Server is null && tenant.Status.Database?.Server is null;
}
