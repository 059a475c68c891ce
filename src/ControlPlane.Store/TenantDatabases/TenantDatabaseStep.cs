namespace ControlPlane.Store.TenantDatabases;

/// <summary>One converging change to a tenant's roles or database, in the order it must run.</summary>
public abstract record TenantDatabaseStep
{
    private TenantDatabaseStep()
    {
    }

    /// <summary>
    /// The application role (LOGIN unless suspended, the tenant secret's password), marked for the tenant in the same
    /// transaction (no unmarked window).
    /// </summary>
    public sealed record CreateRole(bool Login, int ConnectionLimit) : TenantDatabaseStep;

    /// <summary>Writes the tenant's ownership mark on one of its roles (a proven role adopted, claimed or re-marked).</summary>
    public sealed record MarkRole(string Role) : TenantDatabaseStep;

    /// <summary>Writes the tenant's ownership mark on its database (right after creating it, or when proven unmarked).</summary>
    public sealed record MarkDatabase : TenantDatabaseStep;

    public sealed record GrantRoleToAdmin : TenantDatabaseStep;

    public sealed record SetLogin(bool Login) : TenantDatabaseStep;

    public sealed record SetConnectionLimit(int ConnectionLimit) : TenantDatabaseStep;

    /// <summary>The owner role, NOLOGIN and without a password, marked for the tenant in the same transaction.</summary>
    public sealed record CreateOwnerRole : TenantDatabaseStep;

    public sealed record GrantOwnerToAdmin : TenantDatabaseStep;

    /// <summary>Takes back a LOGIN the owner kept because a migration was interrupted, and ends its sessions.</summary>
    public sealed record SealOwner : TenantDatabaseStep;

    public sealed record CreateDatabase : TenantDatabaseStep;

    /// <summary>
    /// A tenant provisioned before ADR-CP-008 (its application role owns the database): the owner role takes the database
    /// and the application role keeps CONNECT, in one transaction, so no login is refused in between.
    /// </summary>
    public sealed record TransferDatabase : TenantDatabaseStep;

    public sealed record RevokePublicConnect : TenantDatabaseStep;

    public sealed record GrantConnect : TenantDatabaseStep;

    public sealed record RevokeConnect : TenantDatabaseStep;

    /// <summary>
    /// Runs in a session logged in as the owner role (never the admin's): takes over what the application role owns when
    /// <paramref name="Reassign"/>, then grants it data privileges on what exists and by default on what will.
    /// </summary>
    public sealed record HandOverToOwner(bool Reassign) : TenantDatabaseStep;

    /// <summary>Ends the sessions of both tenant roles in every database of the server.</summary>
    public sealed record TerminateSessions : TenantDatabaseStep;
}
