namespace ControlPlane.Store.TenantDatabases;

/// <summary>What exists on the server for one tenant, read in a single query.</summary>
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
    bool AdminCanConnect = false,
    OwnershipMarks? Marks = null)
{
    public static readonly TenantDatabaseState Missing = new(false, false, -1, false, false, false, null, false, false);

    /// <summary>The ownership marks observed (<see cref="OwnershipMarks.None"/> when nothing exists).</summary>
    public OwnershipMarks ObservedMarks => Marks ?? OwnershipMarks.None;
}
