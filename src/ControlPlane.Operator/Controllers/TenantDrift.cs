using ControlPlane.Store.TenantDatabases;
using Step = ControlPlane.Store.TenantDatabases.TenantDatabaseStep;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Names what a converge of an already provisioned tenant repaired (pure): the steps say what was found out of place.
/// A step that follows from a creation in the same pass (a re-created role needs its CONNECT back) is part of that
/// repair, not one of its own. Steps a spec change also causes (login, connection limit, CONNECT, sessions) count as
/// drift only when the spec is the one already converged (<c>specSettled</c>), so suspending a tenant or
/// raising its connection limit is never reported as drift. Upgrade steps of an earlier release (marks written on
/// objects provisioned before them, a database transferred to the owner role) are not drift either.
/// </summary>
public static class TenantDrift
{
    public const string Database = "database";
    public const string Role = "role";
    public const string OwnerRole = "owner_role";
    public const string OwnerLogin = "owner_login";
    public const string Login = "login";
    public const string ConnectionLimit = "connection_limit";
    public const string Connect = "connect";
    public const string Sessions = "sessions";
    public const string AdminMembership = "admin_membership";
    public const string Privileges = "privileges";
    public const string Schema = "schema";

    /// <summary>What was repaired, in a stable order; empty when the steps repaired nothing (or only upgraded).</summary>
    public static IReadOnlyList<string> What(IReadOnlyList<TenantDatabaseStep> applied, bool specSettled, bool schemaRepaired)
    {
        ArgumentNullException.ThrowIfNull(applied);
        var database = applied.Any(s => s is Step.CreateDatabase);
        var role = applied.Any(s => s is Step.CreateRole);
        var owner = applied.Any(s => s is Step.CreateOwnerRole);
        var what = new List<string>();
        Add(what, database, Database);
        Add(what, role, Role);
        Add(what, owner, OwnerRole);
        foreach (var step in applied)
        {
            var name = step switch
            {
                Step.SealOwner => OwnerLogin,
                Step.SetLogin when specSettled => Login,
                Step.SetConnectionLimit when specSettled => ConnectionLimit,
                Step.RevokePublicConnect when !database => Connect,
                Step.GrantConnect or Step.RevokeConnect when specSettled && !database && !role => Connect,
                Step.TerminateSessions when specSettled => Sessions,
                Step.GrantRoleToAdmin when !role => AdminMembership,
                Step.GrantOwnerToAdmin when !owner => AdminMembership,
                Step.HandOverToOwner { Reassign: false } when !database && !role => Privileges,
                _ => null,
            };
            Add(what, name is not null, name!);
        }

        Add(what, schemaRepaired, Schema);
        return what;
    }

    /// <summary>Whether a re-created or re-marked database may be behind its recorded schema (its changelog must be checked).</summary>
    public static bool DatabaseIsNew(IReadOnlyList<TenantDatabaseStep> applied)
    {
        ArgumentNullException.ThrowIfNull(applied);
        return applied.Any(s => s is Step.CreateDatabase or Step.MarkDatabase);
    }

    private static void Add(List<string> what, bool condition, string name)
    {
        if (condition && !what.Contains(name))
        {
            what.Add(name);
        }
    }
}
