using System.Text.RegularExpressions;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// The mark the operator leaves on every database and role it creates for a tenant: the object's comment, which
/// PostgreSQL keeps in the shared catalog <c>pg_shdescription</c> (readable from any database of the server). Only a
/// CREATEROLE role holding ADMIN OPTION may comment on a role and only the owner on a database, so a tenant's login
/// cannot forge the mark of its role (ADR-CP-007).
/// </summary>
public static partial class OwnershipMark
{
    private const string Prefix = "econt-control-plane tenant ";

    /// <summary>The comment that marks an object as created for <paramref name="tenant"/>.</summary>
    public static string For(Guid tenant) => Prefix + tenant.ToString("D");

    /// <summary>The tenant an object's comment names; null when the comment is absent or is not a mark.</summary>
    public static Guid? Parse(string? comment) =>
        comment is not null && Shape().Match(comment) is { Success: true } match ? Guid.Parse(match.Groups[1].Value) : null;

    [GeneratedRegex("^econt-control-plane tenant ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
