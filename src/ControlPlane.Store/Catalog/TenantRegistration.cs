using System.Text.RegularExpressions;
using ControlPlane.Core.Secrets;
using ControlPlane.Store.Sql;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// What <see cref="TenantCatalog.RegisterAsync"/> needs to create a tenant in <c>provisioning</c>. The
/// connection identity (<see cref="DbName"/>, host, port, user, secret reference) decides whether a repeated
/// registration is the same one (idempotent) or a clash.
/// </summary>
public sealed partial record TenantRegistration(
    string Slug,
    string DisplayName,
    string DbName,
    string DbHost,
    string DbUser,
    SecretReference DbSecretRef,
    int DbPort = 5432,
    string? AppVersion = null,
    string? BillingPlan = null,
    string? ContactEmail = null,
    TenantOwner? Owner = null,
    string? DbServer = null)
{
    /// <summary>Same rule as the CHECK <c>tenants_slug_shape</c>: a DNS-label-like name, case kept, compared case-insensitively.</summary>
    public static bool IsValidSlug(string? slug) => slug is { Length: > 0 and <= 63 } && SlugPattern().IsMatch(slug);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first field the catalog would refuse.</summary>
    public void Validate()
    {
        if (!IsValidSlug(Slug))
        {
            throw new ArgumentException("The slug must be 1–63 letters, digits or '-', starting and ending with a letter or digit.", nameof(Slug));
        }

        // The operator creates and drops this database through SqlIdentifier.Quote, which accepts lower case only.
        if (!SqlIdentifier.IsValid(DbName))
        {
            throw new ArgumentException("The database name must be a lower-case PostgreSQL identifier (a–z, 0–9, _; at most 63).", nameof(DbName));
        }

        if (!SqlIdentifier.IsValid(DbUser))
        {
            throw new ArgumentException("The database user must be a lower-case PostgreSQL identifier (a–z, 0–9, _; at most 63).", nameof(DbUser));
        }

        if (string.IsNullOrWhiteSpace(DbHost) || !HostPattern().IsMatch(DbHost) || DbHost.Length > 253)
        {
            throw new ArgumentException("The database host must be a host name or IP address.", nameof(DbHost));
        }

        if (DbPort is < 1 or > 65535)
        {
            throw new ArgumentException("The database port must be between 1 and 65535.", nameof(DbPort));
        }

        if (DbServer is not null && !IsValidServerName(DbServer))
        {
            throw new ArgumentException("The database server name must be 1–63 lower-case letters, digits or '-', starting with a letter.", nameof(DbServer));
        }

        TenantProfile.ValidateDisplayName(DisplayName);
        TenantProfile.ValidateContactEmail(ContactEmail);
        ArgumentNullException.ThrowIfNull(DbSecretRef);
    }

    internal bool HasSameIdentityAs(CatalogTenant tenant) =>
        string.Equals(tenant.Slug, Slug, StringComparison.OrdinalIgnoreCase)
        && string.Equals(tenant.DbName, DbName, StringComparison.OrdinalIgnoreCase)
        && string.Equals(tenant.DbHost, DbHost, StringComparison.OrdinalIgnoreCase)
        && tenant.DbPort == DbPort
        && tenant.DbUser == DbUser
        && tenant.DbSecretRef == DbSecretRef
        && (tenant.DbServer is null || DbServer is null || tenant.DbServer == DbServer)

        // A row registered for another Kubernetes object is never returned as this one's, however alike the rest.
        && (tenant.Owner is null ? Owner is null : tenant.Owner.IsSameObject(Owner));

    /// <summary>Same rule as the CHECK <c>tenants_db_server_shape</c> (V15): a Kubernetes object name of at most 63.</summary>
    public static bool IsValidServerName(string? name) => name is { Length: > 0 and <= 63 } && ServerPattern().IsMatch(name);

    // \z, not $: .NET's $ also matches before a final newline.
    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex SlugPattern();

    [GeneratedRegex("^[A-Za-z0-9.:_-]+\\z", RegexOptions.CultureInvariant)]
    private static partial Regex HostPattern();

    [GeneratedRegex("^[a-z]([-a-z0-9]{0,61}[a-z0-9])?\\z", RegexOptions.CultureInvariant)]
    private static partial Regex ServerPattern();
}
