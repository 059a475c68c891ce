namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// What the marks prove for one tenant (pure): which of its roles and whether its database may be touched, and if
/// something under its names is not provably its own, why. Computed before any step, so a refusal changes nothing.
/// </summary>
/// <param name="Roles">The owned roles that exist and carry an accepted mark.</param>
/// <param name="DatabaseProven">The database exists, is owned by a proven role and carries an accepted mark or none.</param>
/// <param name="Problem">Why something that exists is not this tenant's; null when everything that exists is.</param>
public sealed record TenantOwnershipProof(IReadOnlyList<string> Roles, bool DatabaseProven, TenantDatabaseConflictException? Problem)
{
    public const string RoleNotOwned = "RoleNotOwned";
    public const string DatabaseNotOwned = "DatabaseNotOwned";

    public static TenantOwnershipProof Of(TenantDatabaseTarget spec, TenantDatabaseState state)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(state);
        var marks = state.ObservedMarks;

        // Unmarked objects are claimed only for a tenant none of whose objects carries its mark yet: the upgrade from
        // the release that did not mark, whose marks are then written in one transaction. Once anything of the tenant's
        // is marked, an unmarked object under its names was made by someone else (a role dropped and created again by
        // hand, with a password of its creator's) and is never adopted.
        var ownership = spec.Ownership.ClaimUnmarked
                        && (spec.Ownership.IsMarked(marks.Database) || marks.Roles.Any(r => r.Exists && spec.Ownership.IsMarked(r.Mark)))
            ? spec.Ownership with { ClaimUnmarked = false }
            : spec.Ownership;
        var proven = new List<string>();
        TenantDatabaseConflictException? problem = null;
        foreach (var role in marks.Roles.Where(r => r.Exists))
        {
            if (ownership.Accepts(role.Mark)
                && !(role.Role == spec.Role && state.RoleIsSuperuserOrPrivileged)
                && !(role.Role == spec.OwnerRole && state.OwnerIsSuperuserOrPrivileged))
            {
                proven.Add(role.Role);
            }
            else
            {
                problem ??= new TenantDatabaseConflictException(RoleNotOwned,
                    $"Role {role.Role} already exists without this tenant's ownership mark (it belongs to another tenant, to a deleted tenant's retained data, or to something else); nothing was changed. Retained data is taken over only by spec.database.adoptFrom.");
            }
        }

        // An unmarked database is accepted only when its owner is a proven role: no one but the admin (or a superuser)
        // can create a database owned by a marked role, and the admin marks it right after CREATE DATABASE (which
        // cannot share a transaction with the COMMENT), so this is the crash window, not a stranger.
        var databaseProven = false;
        if (state.DatabaseExists)
        {
            var ownedByProvenRole = state.DatabaseOwner is { } owner && proven.Contains(owner);
            databaseProven = ownedByProvenRole && (marks.Database is null || ownership.Accepts(marks.Database));
            if (!databaseProven && state.DatabaseOwner is { } o && spec.OwnedRoles.Contains(o))
            {
                problem ??= new TenantDatabaseConflictException(DatabaseNotOwned,
                    $"Database {spec.Database} already exists without this tenant's ownership mark (it belongs to another tenant, to a deleted tenant's retained data, or to something else); nothing was changed. Retained data is taken over only by spec.database.adoptFrom.");
            }
        }

        return new TenantOwnershipProof(proven, databaseProven, problem);
    }

    /// <summary>The marks to (re)write on proven objects that do not yet carry this tenant's own mark, in order.</summary>
    public IEnumerable<TenantDatabaseStep> Remarks(TenantDatabaseTarget spec, TenantDatabaseState state)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(state);
        foreach (var role in Roles.Where(r => !spec.Ownership.IsMarked(state.ObservedMarks.Of(r))))
        {
            yield return new TenantDatabaseStep.MarkRole(role);
        }

        if (DatabaseProven && !spec.Ownership.IsMarked(state.ObservedMarks.Database))
        {
            yield return new TenantDatabaseStep.MarkDatabase();
        }
    }
}
