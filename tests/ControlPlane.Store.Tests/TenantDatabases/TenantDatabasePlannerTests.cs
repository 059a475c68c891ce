using ControlPlane.Store.TenantDatabases;
using Step = ControlPlane.Store.TenantDatabases.TenantDatabaseStep;

namespace ControlPlane.Store.Tests.TenantDatabases;

public sealed class TenantDatabasePlannerTests
{
    private static readonly TenantDatabaseSpec Active = new("tenant_acme", "tenant_acme", 20, Suspended: false);

    private static readonly TenantDatabaseState Converged = new(
        RoleExists: true, RoleCanLogin: true, RoleConnectionLimit: 20, RoleIsSuperuserOrPrivileged: false, AdminCanUseRole: true,
        DatabaseExists: true, DatabaseOwner: "tenant_acme", PublicCanConnect: false, RoleCanConnect: true);

    [Fact]
    public void A_new_tenant_gets_role_membership_database_and_lockdown_in_that_order() =>
        Assert.Equal(
            [new Step.CreateRole(true, 20), new Step.GrantRoleToAdmin(), new Step.CreateDatabase(), new Step.RevokePublicConnect()],
            TenantDatabasePlanner.Plan(Active, TenantDatabaseState.Missing));

    [Fact]
    public void A_converged_tenant_needs_nothing() =>
        Assert.Empty(TenantDatabasePlanner.Plan(Active, Converged));

    [Fact]
    public void Suspending_blocks_logins_revokes_connect_keeps_the_admin_able_to_migrate_and_ends_sessions() =>
        Assert.Equal(
            [new Step.SetLogin(false), new Step.RevokeConnect(), new Step.GrantConnectToAdmin(), new Step.TerminateSessions()],
            TenantDatabasePlanner.Plan(Active with { Suspended = true }, Converged));

    [Fact]
    public void A_suspended_tenant_that_is_already_locked_needs_nothing() =>
        Assert.Empty(TenantDatabasePlanner.Plan(
            Active with { Suspended = true }, Converged with { RoleCanLogin = false, RoleCanConnect = false, AdminCanConnect = true }));

    [Fact]
    public void Resuming_reverses_the_suspension_exactly() =>
        Assert.Equal(
            [new Step.SetLogin(true), new Step.GrantConnect()],
            TenantDatabasePlanner.Plan(Active, Converged with { RoleCanLogin = false, RoleCanConnect = false }));

    [Fact]
    public void A_tenant_provisioned_while_suspended_is_created_locked() =>
        Assert.Equal(
            [new Step.CreateRole(false, 20), new Step.GrantRoleToAdmin(), new Step.CreateDatabase(), new Step.RevokePublicConnect(), new Step.RevokeConnect(), new Step.GrantConnectToAdmin()],
            TenantDatabasePlanner.Plan(Active with { Suspended = true }, TenantDatabaseState.Missing));

    [Fact]
    public void A_database_dropped_by_hand_is_recreated_without_touching_the_role() =>
        Assert.Equal(
            [new Step.CreateDatabase(), new Step.RevokePublicConnect()],
            TenantDatabasePlanner.Plan(Active, Converged with { DatabaseExists = false, DatabaseOwner = null, RoleCanConnect = false }));

    [Fact]
    public void Drift_in_limits_and_public_access_is_corrected() =>
        Assert.Equal(
            [new Step.SetConnectionLimit(20), new Step.RevokePublicConnect()],
            TenantDatabasePlanner.Plan(Active, Converged with { RoleConnectionLimit = -1, PublicCanConnect = true }));

    [Fact]
    public void A_database_owned_by_another_role_is_never_taken_over()
    {
        var error = Assert.Throws<TenantDatabaseConflictException>(
            () => TenantDatabasePlanner.Plan(Active, Converged with { DatabaseOwner = "billing" }));

        Assert.Equal("DatabaseOwnedByAnotherRole", error.Reason);
    }

    [Fact]
    public void A_privileged_role_with_the_tenant_name_is_never_adopted()
    {
        var error = Assert.Throws<TenantDatabaseConflictException>(
            () => TenantDatabasePlanner.Plan(Active, Converged with { RoleIsSuperuserOrPrivileged = true }));

        Assert.Equal("RoleConflict", error.Reason);
    }
}
