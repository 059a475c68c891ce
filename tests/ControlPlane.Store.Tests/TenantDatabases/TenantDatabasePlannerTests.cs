using ControlPlane.Store.TenantDatabases;
using Step = ControlPlane.Store.TenantDatabases.TenantDatabaseStep;

namespace ControlPlane.Store.Tests.TenantDatabases;

public sealed class TenantDatabasePlannerTests
{
    private static readonly Guid Acme = Guid.Parse("0194c1c6-7b1e-7000-8000-00000000a0c0");
    private static readonly Guid Other = Guid.Parse("0194c1c6-7b1e-7000-8000-000000000b0b");
    private static readonly Guid Previous = Guid.Parse("0194c1c6-7b1e-7000-8000-000000000999");

    private static readonly TenantDatabaseTarget Active = new("tenant_acme", "tenant_acme", 20, Suspended: false) { Ownership = new(Acme) };

    private static readonly TenantDatabaseState Converged = new(
        RoleExists: true, RoleCanLogin: true, RoleConnectionLimit: 20, RoleIsSuperuserOrPrivileged: false, AdminCanUseRole: true,
        DatabaseExists: true, DatabaseOwner: "tenant_acme_owner", PublicCanConnect: false, RoleCanConnect: true,
        OwnerExists: true, OwnerCanLogin: false, OwnerIsSuperuserOrPrivileged: false, AdminCanUseOwner: true,
        AppOwnsObjects: false, AppHasDefaultPrivileges: true, Marks: MarkedFor(Acme));

    /// <summary>A tenant provisioned before ADR-CP-008: the application role owns the database and everything in it.</summary>
    private static readonly TenantDatabaseState Legacy = Converged with
    {
        DatabaseOwner = "tenant_acme",
        OwnerExists = false,
        AdminCanUseOwner = false,
        AppOwnsObjects = true,
        AppHasDefaultPrivileges = false,
        Marks = new OwnershipMarks(OwnershipMark.For(Acme), [new("tenant_acme", true, OwnershipMark.For(Acme)), new("tenant_acme_owner", false, null)]),
    };

    [Fact]
    public void A_new_tenant_gets_both_roles_the_database_lockdown_and_the_application_grants_in_that_order() =>
        Assert.Equal(
            [
                new Step.CreateRole(true, 20), new Step.GrantRoleToAdmin(), new Step.CreateOwnerRole(), new Step.GrantOwnerToAdmin(),
                new Step.CreateDatabase(), new Step.MarkDatabase(), new Step.RevokePublicConnect(), new Step.GrantConnect(), new Step.HandOverToOwner(Reassign: false),
            ],
            TenantDatabasePlanner.Plan(Active, TenantDatabaseState.Missing));

    [Fact]
    public void A_converged_tenant_needs_nothing() =>
        Assert.Empty(TenantDatabasePlanner.Plan(Active, Converged));

    [Fact]
    public void Suspending_blocks_logins_revokes_connect_and_ends_the_sessions_it_sees() =>
        Assert.Equal(
            [new Step.SetLogin(false), new Step.RevokeConnect(), new Step.TerminateSessions()],
            TenantDatabasePlanner.Plan(Active with { Suspended = true }, Converged with { RolesHaveSessions = true }));

    [Fact]
    public void A_suspended_tenant_whose_sessions_survived_a_crash_has_them_ended_on_the_next_pass() =>
        Assert.Equal(
            [new Step.TerminateSessions()],
            TenantDatabasePlanner.Plan(
                Active with { Suspended = true }, Converged with { RoleCanLogin = false, RoleCanConnect = false, RolesHaveSessions = true }));

    [Fact]
    public void An_owner_left_able_to_log_in_by_an_interrupted_migration_is_sealed() =>
        Assert.Equal([new Step.SealOwner()], TenantDatabasePlanner.Plan(Active, Converged with { OwnerCanLogin = true }));

    [Fact]
    public void A_tenant_provisioned_before_the_split_gets_an_owner_that_takes_over_database_and_objects() =>
        Assert.Equal(
            [new Step.CreateOwnerRole(), new Step.GrantOwnerToAdmin(), new Step.TransferDatabase(), new Step.HandOverToOwner(Reassign: true)],
            TenantDatabasePlanner.Plan(Active, Legacy));

    [Fact]
    public void A_suspended_tenant_provisioned_before_the_split_is_converged_and_stays_locked() =>
        Assert.Equal(
            [new Step.CreateOwnerRole(), new Step.GrantOwnerToAdmin(), new Step.TransferDatabase(), new Step.RevokeConnect(), new Step.HandOverToOwner(Reassign: true)],
            TenantDatabasePlanner.Plan(Active with { Suspended = true }, Legacy with { RoleCanLogin = false }));

    [Fact]
    public void A_hand_over_interrupted_after_the_transfer_is_finished_in_the_owner_session() =>
        Assert.Equal(
            [new Step.HandOverToOwner(Reassign: true)],
            TenantDatabasePlanner.Plan(Active, Converged with { AppOwnsObjects = true, AppHasDefaultPrivileges = false }));

    [Fact]
    public void Retaining_only_locks_down_it_never_creates_or_hands_over() =>
        Assert.Equal(
            [new Step.SetLogin(false), new Step.RevokeConnect(), new Step.TerminateSessions()],
            TenantDatabasePlanner.LockDown(Active, Legacy with { RolesHaveSessions = true }));

    [Fact]
    public void A_suspended_tenant_that_is_already_locked_needs_nothing() =>
        Assert.Empty(TenantDatabasePlanner.Plan(
            Active with { Suspended = true }, Converged with { RoleCanLogin = false, RoleCanConnect = false }));

    [Fact]
    public void Resuming_reverses_the_suspension_exactly() =>
        Assert.Equal(
            [new Step.SetLogin(true), new Step.GrantConnect()],
            TenantDatabasePlanner.Plan(Active, Converged with { RoleCanLogin = false, RoleCanConnect = false }));

    [Fact]
    public void A_tenant_provisioned_while_suspended_is_created_locked() =>
        Assert.Equal(
            [
                new Step.CreateRole(false, 20), new Step.GrantRoleToAdmin(), new Step.CreateOwnerRole(), new Step.GrantOwnerToAdmin(),
                new Step.CreateDatabase(), new Step.MarkDatabase(), new Step.RevokePublicConnect(), new Step.HandOverToOwner(Reassign: false),
            ],
            TenantDatabasePlanner.Plan(Active with { Suspended = true }, TenantDatabaseState.Missing));

    [Fact]
    public void A_database_dropped_by_hand_is_recreated_without_touching_the_role() =>
        Assert.Equal(
            [new Step.CreateDatabase(), new Step.MarkDatabase(), new Step.RevokePublicConnect(), new Step.GrantConnect(), new Step.HandOverToOwner(Reassign: false)],
            TenantDatabasePlanner.Plan(Active, Converged with { DatabaseExists = false, DatabaseOwner = null, RoleCanConnect = false, Marks = MarkedFor(Acme) with { Database = null } }));

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

    [Fact]
    public void A_privileged_role_with_the_owner_name_is_never_adopted()
    {
        var error = Assert.Throws<TenantDatabaseConflictException>(
            () => TenantDatabasePlanner.Plan(Active, Converged with { OwnerIsSuperuserOrPrivileged = true }));

        Assert.Equal("RoleConflict", error.Reason);
        Assert.Contains("tenant_acme_owner", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("another tenant's mark on the role", "other", "acme")]
    [InlineData("a retained tenant's mark, not adopted", "previous", "previous")]
    [InlineData("an unmarked role of the previous release, unclaimed", null, null)]
    [InlineData("a stranger's comment on the role", "stranger", null)]
    [InlineData("another tenant's mark on the database", "acme", "other")]
    public void Objects_without_this_tenants_mark_are_refused_and_nothing_is_planned(string why, string? roleMark, string? databaseMark)
    {
        var state = Converged with { Marks = new OwnershipMarks(Comment(databaseMark), [new("tenant_acme", true, Comment(roleMark)), new("tenant_acme_owner", true, Comment(roleMark))]) };

        var error = Assert.Throws<TenantDatabaseConflictException>(() => TenantDatabasePlanner.Plan(Active with { Suspended = true }, state));

        Assert.True(error.Reason is TenantOwnershipProof.RoleNotOwned or TenantOwnershipProof.DatabaseNotOwned, why);
        var proof = TenantOwnershipProof.Of(Active, state);
        Assert.False(proof.DatabaseProven, why);
    }

    [Fact]
    public void An_explicit_adoption_re_marks_the_retained_objects_before_anything_else()
    {
        var state = Converged with { RoleCanLogin = false, RoleCanConnect = false, Marks = MarkedFor(Previous) };

        Assert.Equal(
            [new Step.MarkRole("tenant_acme"), new Step.MarkRole("tenant_acme_owner"), new Step.MarkDatabase(), new Step.SetLogin(true), new Step.GrantConnect()],
            TenantDatabasePlanner.Plan(Active with { Ownership = new(Acme, AdoptFrom: Previous) }, state));
    }

    [Fact]
    public void Unmarked_objects_of_the_previous_release_are_marked_only_when_the_row_proves_them_this_tenants()
    {
        var legacy = Converged with { Marks = new OwnershipMarks(null, [new("tenant_acme", true, null), new("tenant_acme_owner", true, null)]) };

        Assert.Equal(
            [new Step.MarkRole("tenant_acme"), new Step.MarkRole("tenant_acme_owner"), new Step.MarkDatabase()],
            TenantDatabasePlanner.Plan(Active with { Ownership = new(Acme, ClaimUnmarked: true) }, legacy));
        Assert.Throws<TenantDatabaseConflictException>(() => TenantDatabasePlanner.Plan(Active, legacy));
    }

    [Fact]
    public void An_unmarked_role_beside_the_tenants_marked_objects_is_a_stranger_even_for_a_row_that_may_claim_unmarked_objects()
    {
        // The application role was dropped and created again by hand (its creator knows its password): the database and
        // the owner role still carry the tenant's mark, so this is no upgrade from the release that did not mark.
        var squatted = Converged with { Marks = MarkedFor(Acme) with { Roles = [new("tenant_acme", true, null), new("tenant_acme_owner", true, OwnershipMark.For(Acme))] } };

        var refused = Assert.Throws<TenantDatabaseConflictException>(() =>
            TenantDatabasePlanner.Plan(Active with { Ownership = new(Acme, ClaimUnmarked: true) }, squatted));
        Assert.Equal(TenantOwnershipProof.RoleNotOwned, refused.Reason);
    }

    [Fact]
    public void An_unmarked_database_owned_by_the_tenants_marked_role_is_the_crash_window_after_create_database_and_is_marked()
    {
        var state = Converged with { Marks = MarkedFor(Acme) with { Database = null } };

        Assert.Equal([new Step.MarkDatabase()], TenantDatabasePlanner.Plan(Active, state));
    }

    [Fact]
    public void The_mark_is_exact_a_look_alike_comment_is_no_mark()
    {
        Assert.Equal(Acme, OwnershipMark.Parse(OwnershipMark.For(Acme)));
        Assert.Null(OwnershipMark.Parse(OwnershipMark.For(Acme) + " "));
        Assert.Null(OwnershipMark.Parse(OwnershipMark.For(Acme).ToUpperInvariant()));
        Assert.Null(OwnershipMark.Parse("tenant " + Acme));
        Assert.Null(OwnershipMark.Parse(null));
    }

    private static OwnershipMarks MarkedFor(Guid tenant) =>
        new(OwnershipMark.For(tenant), [new ObservedRoleMark("tenant_acme", true, OwnershipMark.For(tenant)), new ObservedRoleMark("tenant_acme_owner", true, OwnershipMark.For(tenant))]);

    private static string? Comment(string? who) => who switch
    {
        "acme" => OwnershipMark.For(Acme),
        "other" => OwnershipMark.For(Other),
        "previous" => OwnershipMark.For(Previous),
        "stranger" => "Created by the DBA for the reporting team.",
        _ => null,
    };
}
