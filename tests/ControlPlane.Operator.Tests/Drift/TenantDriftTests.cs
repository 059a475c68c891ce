using ControlPlane.Operator.Controllers;
using Step = ControlPlane.Store.TenantDatabases.TenantDatabaseStep;

namespace ControlPlane.Operator.Tests.Drift;

/// <summary>What a converge of a provisioned tenant repaired, named from its steps (pure).</summary>
public sealed class TenantDriftTests
{
    [Fact]
    public void A_healthy_tenant_repaired_nothing()
    {
        Assert.Empty(TenantDrift.What([], specSettled: true, schemaRepaired: false));
    }

    [Fact]
    public void A_database_created_again_is_one_repair_with_its_follow_up_steps_and_the_schema()
    {
        Step[] steps = [new Step.CreateDatabase(), new Step.MarkDatabase(), new Step.RevokePublicConnect(), new Step.GrantConnect(), new Step.HandOverToOwner(false)];

        Assert.Equal([TenantDrift.Database, TenantDrift.Schema], TenantDrift.What(steps, specSettled: true, schemaRepaired: true));
        Assert.True(TenantDrift.DatabaseIsNew(steps));
    }

    [Fact]
    public void A_role_created_again_folds_its_membership_connect_and_privileges_into_one_repair()
    {
        Step[] steps = [new Step.CreateRole(true, -1), new Step.GrantRoleToAdmin(), new Step.GrantConnect(), new Step.HandOverToOwner(false)];

        Assert.Equal([TenantDrift.Role], TenantDrift.What(steps, specSettled: true, schemaRepaired: false));
        Assert.False(TenantDrift.DatabaseIsNew(steps));
    }

    [Fact]
    public void A_connection_limit_or_login_changed_by_hand_is_drift_only_when_the_spec_is_already_converged()
    {
        Step[] steps = [new Step.SetConnectionLimit(5), new Step.SetLogin(false), new Step.RevokeConnect(), new Step.TerminateSessions()];

        Assert.Equal(
            [TenantDrift.ConnectionLimit, TenantDrift.Login, TenantDrift.Connect, TenantDrift.Sessions],
            TenantDrift.What(steps, specSettled: true, schemaRepaired: false));

        // The same steps right after a spec change (suspension, a new limit) are that change, not drift.
        Assert.Empty(TenantDrift.What(steps, specSettled: false, schemaRepaired: false));
    }

    [Fact]
    public void What_no_spec_asks_for_is_drift_whatever_the_spec_did()
    {
        Step[] steps = [new Step.RevokePublicConnect(), new Step.SealOwner(), new Step.GrantOwnerToAdmin()];

        Assert.Equal(
            [TenantDrift.Connect, TenantDrift.OwnerLogin, TenantDrift.AdminMembership],
            TenantDrift.What(steps, specSettled: false, schemaRepaired: false));
    }

    [Fact]
    public void Upgrade_steps_of_an_earlier_release_are_not_drift()
    {
        Step[] steps = [new Step.MarkRole("t_acme"), new Step.MarkDatabase(), new Step.TransferDatabase(), new Step.HandOverToOwner(true)];

        Assert.Empty(TenantDrift.What(steps, specSettled: true, schemaRepaired: false));

        // A database found without its mark may have been created empty by hand: its changelog is checked.
        Assert.True(TenantDrift.DatabaseIsNew(steps));
    }
}
