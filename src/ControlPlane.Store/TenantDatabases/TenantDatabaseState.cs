namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// What exists on the server for one tenant, read in a single query from the admin's maintenance-database session
/// (shared catalogs only: the admin never opens the tenant's database to look).
/// </summary>
/// <remarks>
/// Owner-role fields describe <see cref="TenantDatabaseTarget.OwnerRole"/>. <c>AppOwnsObjects</c>: the application role
/// owns objects inside the tenant database (read from <c>pg_shdepend</c>), a tenant provisioned before ADR-CP-008 whose
/// objects must be handed over. <c>AppHasDefaultPrivileges</c>: default privileges in the tenant database name the
/// application role. <c>RolesHaveSessions</c>: either role has a session open in any database of the server.
/// <c>Marks</c>: the ownership comments of the database and of each owned role (ADR-CP-007).
/// </remarks>
public sealed record TenantDatabaseState(
    bool RoleExists,
    bool RoleCanLogin,
    int RoleConnectionLimit,
    bool RoleIsSuperuserOrPrivileged,
    bool AdminCanUseRole,
    bool DatabaseExists,
    string? DatabaseOwner,
    bool PublicCanConnect,
    bool RoleCanConnect,
    bool OwnerExists = false,
    bool OwnerCanLogin = false,
    bool OwnerIsSuperuserOrPrivileged = false,
    bool AdminCanUseOwner = false,
    bool AppOwnsObjects = false,
    bool AppHasDefaultPrivileges = false,
    bool RolesHaveSessions = false,
    OwnershipMarks? Marks = null)
{
    public static readonly TenantDatabaseState Missing = new(false, false, -1, false, false, false, null, false, false);

    /// <summary>The ownership marks observed (<see cref="OwnershipMarks.None"/> when nothing exists).</summary>
    public OwnershipMarks ObservedMarks => Marks ?? OwnershipMarks.None;
}
