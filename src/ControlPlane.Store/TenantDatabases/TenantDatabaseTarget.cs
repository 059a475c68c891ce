using ControlPlane.Store.Sql;

namespace ControlPlane.Store.TenantDatabases;

/// <summary>What a tenant's database should look like on its server.</summary>
/// <param name="Database">Database name (a validated PostgreSQL identifier).</param>
/// <param name="Role">
/// The application role: the login the resolver hands out (named like the database, password from the tenant's secret),
/// with data privileges only. It owns nothing.
/// </param>
/// <param name="ConnectionLimit">Role connection limit; -1 for none.</param>
/// <param name="Suspended">Suspended tenants keep their data but cannot log in or connect.</param>
public sealed record TenantDatabaseTarget(string Database, string Role, int ConnectionLimit, bool Suspended)
{
    /// <summary>Suffix of <see cref="OwnerRole"/>; database names leave room for it within 63 characters.</summary>
    public const string OwnerSuffix = "_owner";

    /// <summary>
    /// The owner role (<c>&lt;database&gt;_owner</c>): owns the database and every object in it and runs the migrations.
    /// NOLOGIN without a password except while the operator migrates through it (ADR-CP-008); granted to the admin only.
    /// </summary>
    public string OwnerRole => Database + OwnerSuffix;

    /// <summary>Whose objects these are: the operator touches them only when they carry this tenant's mark.</summary>
    public required TenantOwnership Ownership { get; init; }

    /// <summary>Every role the operator creates for this tenant; each carries the ownership mark (ADR-CP-007).</summary>
    public IReadOnlyList<string> OwnedRoles => [Role, OwnerRole];

    /// <summary>Names PostgreSQL reserves or that would shadow the server's own databases.</summary>
    public static readonly IReadOnlySet<string> ReservedNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "postgres", "template0", "template1", "public", "pg_database_owner", "current_user", "session_user", "none",

        // Its owner role would be pg_owner, and PostgreSQL reserves every role name starting with pg_.
        "pg",
    };

    /// <summary>Refuses names that are not plain identifiers or that are reserved; the message says which rule failed.</summary>
    public void Validate()
    {
        foreach (var (what, name) in (ReadOnlySpan<(string, string)>)[("database name", Database), ("role name", Role), ("owner role name", OwnerRole)])
        {
            if (!SqlIdentifier.IsValid(name))
            {
                throw new ArgumentException($"The {what} must be 1–{SqlIdentifier.MaxLength} characters of a–z, 0–9 and _, starting with a letter or _.");
            }

            if (ReservedNames.Contains(name) || name.StartsWith("pg_", StringComparison.Ordinal))
            {
                throw new ArgumentException($"The {what} '{name}' is reserved by PostgreSQL.");
            }
        }

        // A database (hence application role) named like another tenant's owner role would be handed that role.
        if (Database.EndsWith(OwnerSuffix, StringComparison.Ordinal) || Role.EndsWith(OwnerSuffix, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Database and role names ending in '{OwnerSuffix}' are reserved for owner roles.");
        }

        if (ConnectionLimit < -1)
        {
            throw new ArgumentException("The connection limit must be -1 (no limit) or a non-negative number.");
        }
    }
}
