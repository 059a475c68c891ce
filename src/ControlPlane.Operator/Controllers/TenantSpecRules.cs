using System.Text.RegularExpressions;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Store.Secrets;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The rules the CRD schema cannot enforce (defaults derived from other fields, the operator's configured servers),
/// and the defaults themselves. Pure: the reconciler and its tests call the same functions.
/// </summary>
public static partial class TenantSpecRules
{
    private static readonly string[] ReservedDatabases = ["postgres", "template0", "template1"];

    /// <summary><c>spec.slug</c>, or <c>metadata.name</c> when unset.</summary>
    public static string EffectiveSlug(Tenant tenant) => tenant.Spec.Slug ?? tenant.Metadata.Name;

    /// <summary><c>spec.database.name</c>, or the slug with '-' replaced by '_' (a valid PostgreSQL identifier for any valid slug).</summary>
    public static string EffectiveDatabaseName(Tenant tenant) =>
        tenant.Spec.Database?.Name ?? EffectiveSlug(tenant).Replace('-', '_');

    public static string EffectiveServer(Tenant tenant) => tenant.Spec.Database?.Server ?? "default";

    /// <summary>Every rule the spec breaks, as sentences for the Ready condition's message; empty when valid.</summary>
    public static List<string> Validate(Tenant tenant, IReadOnlyCollection<string> configuredServers)
    {
        var problems = new List<string>();
        var slug = EffectiveSlug(tenant);
        var slugValid = Slug().IsMatch(slug);
        if (!slugValid)
        {
            problems.Add(tenant.Spec.Slug is null
                ? $"metadata.name '{slug}' cannot serve as the slug (lower-case letters, digits and '-', starting with a letter, at most 63); set spec.slug."
                : $"spec.slug '{slug}' must be lower-case letters, digits and '-', starting with a letter, at most 63.");
        }

        // A database name derived from an invalid slug is not a second problem: fixing the slug fixes it.
        var database = EffectiveDatabaseName(tenant);
        if ((slugValid || tenant.Spec.Database?.Name is not null) && (!DatabaseName().IsMatch(database) || ReservedDatabases.Contains(database)))
        {
            problems.Add($"database name '{database}' is not allowed (PostgreSQL identifier, not postgres/template0/template1); set spec.database.name.");
        }

        // Its application role would carry the name of another tenant's owner role (ADR-CP-008).
        if (database.EndsWith(Store.TenantDatabases.TenantDatabaseSpec.OwnerSuffix, StringComparison.Ordinal))
        {
            problems.Add($"database name '{database}' is not allowed: names ending in '{Store.TenantDatabases.TenantDatabaseSpec.OwnerSuffix}' are reserved for owner roles; set spec.database.name.");
        }

        var server = EffectiveServer(tenant);
        if (!configuredServers.Contains(server))
        {
            problems.Add(configuredServers.Count == 0
                ? $"spec.database.server '{server}' is unknown: the operator has no tenant database servers configured."
                : $"spec.database.server '{server}' is unknown; configured servers: {string.Join(", ", configuredServers.Order(StringComparer.Ordinal))}.");
        }

        if (tenant.Spec.Credentials?.SecretRef is { } secretRef && !SecretReference.TryParse(secretRef, out _, out var error))
        {
            problems.Add($"spec.credentials.secretRef: {error}");
        }

        // Same pattern as the CRD: a lower-case catalog id, or the request is not understood (never silently ignored).
        if (tenant.Spec.Database?.AdoptFrom is { } adoptFrom && !AdoptFrom().IsMatch(adoptFrom))
        {
            problems.Add("spec.database.adoptFrom must be the catalog id (a lower-case UUID) of the deleted tenant whose retained data is adopted.");
        }

        return problems;
    }

    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", RegexOptions.CultureInvariant)]
    private static partial Regex AdoptFrom();

    [GeneratedRegex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Slug();

    [GeneratedRegex("^[a-z_][a-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex DatabaseName();
}
