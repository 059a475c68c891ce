namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// Compares what should exist with what does and returns the steps that converge them, in order.
/// Pure: the same inputs give the same plan, and a converged tenant gives an empty plan (no DDL on resync).
/// </summary>
/// <remarks>
/// Two roles per tenant (ADR-CP-008): the owner role owns the database and its objects and is NOLOGIN; the application
/// role logs in with data privileges only. A tenant whose application role still owns the database (provisioned before
/// the split) is converged in place: owner created, database transferred, objects handed over in the owner's session.
/// </remarks>
public static class TenantDatabasePlanner
{
    public static IReadOnlyList<TenantDatabaseStep> Plan(TenantDatabaseTarget spec, TenantDatabaseState state)
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

        if (!state.OwnerExists)
        {
            steps.Add(new TenantDatabaseStep.CreateOwnerRole());
            steps.Add(new TenantDatabaseStep.GrantOwnerToAdmin());
        }
        else
        {
            if (!state.AdminCanUseOwner)
            {
                steps.Add(new TenantDatabaseStep.GrantOwnerToAdmin());
            }

            if (state.OwnerCanLogin)
            {
                steps.Add(new TenantDatabaseStep.SealOwner());
            }
        }

        // A new database grants CONNECT to PUBLIC and to its owner by default; a transferred one keeps the
        // application role's CONNECT (granted in the transfer's own transaction).
        var legacy = state.DatabaseExists && string.Equals(state.DatabaseOwner, spec.Role, StringComparison.Ordinal);
        var publicCanConnect = !state.DatabaseExists || state.PublicCanConnect;
        var roleCanConnect = legacy || (state.DatabaseExists && state.RoleCanConnect);
        if (!state.DatabaseExists)
        {
            steps.Add(new TenantDatabaseStep.CreateDatabase());
            steps.Add(new TenantDatabaseStep.MarkDatabase());
        }
        else if (legacy)
        {
            steps.Add(new TenantDatabaseStep.TransferDatabase());
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

        // The application role's data privileges are granted by the owner, in the owner's session; a database that has
        // them by default and whose application role owns nothing needs no session at all.
        if (!state.DatabaseExists || state.AppOwnsObjects || !state.AppHasDefaultPrivileges)
        {
            steps.Add(new TenantDatabaseStep.HandOverToOwner(Reassign: state.DatabaseExists && state.AppOwnsObjects));
        }

        // Sessions opened before the suspension survive NOLOGIN and REVOKE; end them in the same pass, wherever they are
        // (observed, not inferred, so a crash between locking and ending them is finished by the next pass).
        if (spec.Suspended && state.RolesHaveSessions)
        {
            steps.Add(new TenantDatabaseStep.TerminateSessions());
        }

        return steps;
    }

    /// <summary>The subset of a plan that only locks down what exists (deletion with <c>Retain</c>): nothing is created or handed over.</summary>
    public static IReadOnlyList<TenantDatabaseStep> LockDown(TenantDatabaseTarget spec, TenantDatabaseState state)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(state);
        if (!state.RoleExists && !state.DatabaseExists && !state.OwnerExists)
        {
            return [];
        }

        var locked = spec with { Suspended = true };
        return Plan(locked, state)
            .Where(step => step is TenantDatabaseStep.SetLogin or TenantDatabaseStep.SetConnectionLimit or TenantDatabaseStep.SealOwner
                || (state.DatabaseExists && step is TenantDatabaseStep.RevokePublicConnect or TenantDatabaseStep.RevokeConnect or TenantDatabaseStep.TerminateSessions))
            .ToList();
    }

    private static void Guard(TenantDatabaseTarget spec, TenantDatabaseState state)
    {
        if (state.RoleIsSuperuserOrPrivileged || state.OwnerIsSuperuserOrPrivileged)
        {
            var role = state.RoleIsSuperuserOrPrivileged ? spec.Role : spec.OwnerRole;
            throw new TenantDatabaseConflictException(
                "RoleConflict",
                $"Role {role} already exists with privileges a tenant role never has (superuser, createdb, createrole, replication or bypassrls); it belongs to something else.");
        }

        if (state.DatabaseExists
            && !string.Equals(state.DatabaseOwner, spec.OwnerRole, StringComparison.Ordinal)
            && !string.Equals(state.DatabaseOwner, spec.Role, StringComparison.Ordinal))
        {
            throw new TenantDatabaseConflictException(
                "DatabaseOwnedByAnotherRole",
                $"Database {spec.Database} already exists and is owned by {state.DatabaseOwner}, not by the tenant's owner role {spec.OwnerRole}; it belongs to something else.");
        }
    }
}
