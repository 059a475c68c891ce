namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Compares what should exist with what does and returns the steps that converge them, in order.
/// Pure: the same inputs give the same plan, and a converged tenant gives an empty plan (no DDL on resync).
/// </summary>
public static class TenantDatabasePlanner
{
    public static IReadOnlyList<TenantDatabaseStep> Plan(TenantDatabaseSpec spec, TenantDatabaseState state)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(state);
        Guard(spec, state);

        // Nothing is touched unless everything that exists under the tenant's names carries its mark.
        var proof = TenantOwnershipProof.Of(spec, state);
        if (proof.Problem is not null)
        {
            throw proof.Problem;
        }

        var login = !spec.Suspended;
        var steps = new List<TenantDatabaseStep>(proof.Remarks(spec, state));
        if (!state.RoleExists)
        {
            steps.Add(new TenantDatabaseStep.CreateRole(login, spec.ConnectionLimit));
            steps.Add(new TenantDatabaseStep.GrantRoleToAdmin());
        }
        else
        {
            if (!state.AdminCanUseRole)
            {
                steps.Add(new TenantDatabaseStep.GrantRoleToAdmin());
            }

            if (state.RoleCanLogin != login)
            {
                steps.Add(new TenantDatabaseStep.SetLogin(login));
            }

            if (state.RoleConnectionLimit != spec.ConnectionLimit)
            {
                steps.Add(new TenantDatabaseStep.SetConnectionLimit(spec.ConnectionLimit));
            }
        }

        // A new database grants CONNECT to PUBLIC and to its owner by default.
        var publicCanConnect = !state.DatabaseExists || state.PublicCanConnect;
        var roleCanConnect = !state.DatabaseExists || state.RoleCanConnect;
        if (!state.DatabaseExists)
        {
            steps.Add(new TenantDatabaseStep.CreateDatabase());
            steps.Add(new TenantDatabaseStep.MarkDatabase());
        }

        if (publicCanConnect)
        {
            steps.Add(new TenantDatabaseStep.RevokePublicConnect());
        }

        if (roleCanConnect && spec.Suspended)
        {
            steps.Add(new TenantDatabaseStep.RevokeConnect());
        }
        else if (!roleCanConnect && !spec.Suspended)
        {
            steps.Add(new TenantDatabaseStep.GrantConnect());
        }

        // While suspended the admin reaches the database only by a grant of its own: migrations keep the data current.
        if (spec.Suspended && !state.AdminCanConnect)
        {
            steps.Add(new TenantDatabaseStep.GrantConnectToAdmin());
        }

        // Sessions opened before the suspension survive NOLOGIN and REVOKE; end them in the same pass.
        if (spec.Suspended && state.DatabaseExists && (state.RoleCanLogin || state.RoleCanConnect))
        {
            steps.Add(new TenantDatabaseStep.TerminateSessions());
        }

        return steps;
    }

    private static void Guard(TenantDatabaseSpec spec, TenantDatabaseState state)
    {
        if (state.RoleIsSuperuserOrPrivileged)
        {
            throw new TenantDatabaseConflictException(
                "RoleConflict",
                $"Role {spec.Role} already exists with privileges a tenant role never has (superuser, createdb, createrole, replication or bypassrls); it belongs to something else.");
        }

        if (state.DatabaseExists && !string.Equals(state.DatabaseOwner, spec.Role, StringComparison.Ordinal))
        {
            throw new TenantDatabaseConflictException(
                "DatabaseOwnedByAnotherRole",
                $"Database {spec.Database} already exists and is owned by {state.DatabaseOwner}, not by the tenant role {spec.Role}; it belongs to something else.");
        }
    }
}
