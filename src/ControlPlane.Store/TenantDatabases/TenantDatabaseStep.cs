namespace ControlPlane.Store.TenantDatabases;

/// <summary>One converging change to a tenant's role or database, in the order it must run.</summary>
public abstract record TenantDatabaseStep
{
    private TenantDatabaseStep()
    {
    }

    /// <summary>Creates the login role and marks it for the tenant in the same transaction (no unmarked window).</summary>
    public sealed record CreateRole(bool Login, int ConnectionLimit) : TenantDatabaseStep;

    /// <summary>Writes the tenant's ownership mark on one of its roles (a proven role adopted, claimed or re-marked).</summary>
    public sealed record MarkRole(string Role) : TenantDatabaseStep;

    /// <summary>Writes the tenant's ownership mark on its database (right after creating it, or when proven unmarked).</summary>
    public sealed record MarkDatabase : TenantDatabaseStep;

    public sealed record GrantRoleToAdmin : TenantDatabaseStep;

    public sealed record SetLogin(bool Login) : TenantDatabaseStep;

    public sealed record SetConnectionLimit(int ConnectionLimit) : TenantDatabaseStep;

    public sealed record CreateDatabase : TenantDatabaseStep;

    public sealed record RevokePublicConnect : TenantDatabaseStep;

    public sealed record GrantConnect : TenantDatabaseStep;

    public sealed record RevokeConnect : TenantDatabaseStep;

    /// <summary>The admin's own CONNECT, so a suspended tenant (its role's CONNECT revoked) can still be migrated.</summary>
    public sealed record GrantConnectToAdmin : TenantDatabaseStep;

    public sealed record TerminateSessions : TenantDatabaseStep;
}
