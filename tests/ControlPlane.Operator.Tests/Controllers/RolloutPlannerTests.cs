using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers.Rollouts;
using ControlPlane.Runtime;
using ControlPlane.Store.TenantDatabases;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class RolloutPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly SchemaVersion Target = SchemaVersion.Parse("3");

    [Fact]
    public void The_canary_is_the_named_tenants_then_more_in_name_order_up_to_the_count()
    {
        var plan = Plan(Rollout(s => { s.Canary = new() { Names = ["t05", "t02"], Count = 3 }; s.MaxParallel = 10; }), Fleet(8));

        Assert.Equal(0, plan.Status.CurrentWave!.Number);
        Assert.Equal(["t05", "t02", "t00"], plan.Status.CurrentWave.Tenants);
        Assert.Equal(["t05", "t02", "t00"], plan.Start);
        Assert.Equal(SchemaRolloutPhase.Canary.ToWire(), plan.Status.Phase);
    }

    /// <summary>
    /// Likely behind a failed soak run (issue 20): the rollout's watch delivered it before the Tenant watch delivered
    /// its canary, and the rollout skipped the canary, and its approval, and rolled the rest of the fleet.
    /// </summary>
    [Fact]
    public void A_named_canary_the_tenant_cache_does_not_show_yet_is_waited_for_and_nothing_starts()
    {
        var rollout = Rollout(s => { s.Canary = new() { Names = ["t09", "t01"] }; s.PauseAfterCanary = true; s.BatchSize = 1; });

        var plan = Plan(rollout, Fleet(4));

        Assert.Empty(plan.Start);
        Assert.Null(plan.Status.CurrentWave);
        Assert.Equal(SchemaRolloutPhase.Pending.ToWire(), plan.Status.Phase);
        var progressing = Conditions.Find(plan.Status.Conditions, SchemaRolloutConditions.Progressing)!;
        Assert.Equal((Conditions.False, SchemaRolloutReason.CanaryNotFound.ToWire()), (progressing.Status, progressing.Reason));
        Assert.Contains("t09", progressing.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("t01", progressing.Message, StringComparison.Ordinal);
        Assert.False(plan.Settled);

        var fleet = Fleet(10);
        var arrived = Plan(rollout, fleet);
        Assert.Equal((SchemaRolloutPhase.Canary.ToWire(), 0), (arrived.Status.Phase, arrived.Status.CurrentWave!.Number));
        Assert.Equal(["t09", "t01"], arrived.Status.CurrentWave.Tenants);
    }

    [Fact]
    public void A_named_canary_already_at_the_target_still_ends_in_the_pause_for_approval()
    {
        var rollout = Rollout(s => { s.Canary = new() { Names = ["t01"] }; s.PauseAfterCanary = true; s.BatchSize = 1; });
        var fleet = Fleet(4);
        Asked(fleet[1], migrated: true);

        var plan = Plan(rollout, fleet);

        Assert.Empty(plan.Start);
        Assert.True(plan.PauseSpec);
        Assert.Equal(SchemaRolloutPhase.AwaitingApproval.ToWire(), plan.Status.Phase);
        Assert.Equal(["t01"], plan.Status.CurrentWave!.Tenants);
    }

    [Fact]
    public void Only_maxParallel_members_of_a_wave_are_started_and_a_finished_one_frees_a_slot()
    {
        var rollout = Rollout(s => { s.BatchSize = 4; s.MaxParallel = 2; });
        var first = Plan(rollout, Fleet(10));
        Assert.Equal(["t00", "t01"], first.Start);

        rollout.Status = first.Status;
        var fleet = Fleet(10);
        Asked(fleet[0], migrated: true);
        Asked(fleet[1], migrated: false);
        var second = Plan(rollout, fleet);

        Assert.Equal(["t02"], second.Start);
        Assert.Equal(["t00", "t01", "t02", "t03"], second.Status.CurrentWave!.Tenants);
    }

    [Fact]
    public void The_next_batch_opens_only_when_the_current_one_is_done()
    {
        var rollout = Rollout(s => { s.BatchSize = 2; s.MaxParallel = 5; });
        rollout.Status = new SchemaRolloutStatus { CurrentWave = new() { Number = 1, Tenants = ["t00", "t01"], Started = ["t00", "t01"] } };
        var fleet = Fleet(5);
        Asked(fleet[0], migrated: true);
        Asked(fleet[1], migrated: false);
        Assert.Empty(Plan(rollout, fleet).Start);

        Asked(fleet[1], migrated: true);
        var next = Plan(rollout, fleet);
        Assert.Equal(2, next.Status.CurrentWave!.Number);
        Assert.Equal(["t02", "t03"], next.Start);
    }

    [Theory]
    [InlineData(null, 100, 10)]
    [InlineData(25, 10, 3)]
    [InlineData(1, 10, 1)]
    [InlineData(100, 7, 7)]
    public void A_batch_percentage_rounds_up_to_at_least_one_tenant(int? percent, int total, int expected) =>
        Assert.Equal(expected, RolloutPlanner.BatchSize(new SchemaRolloutSpec { BatchPercent = percent }, total));

    [Fact]
    public void One_failure_more_than_the_budget_halts_starts_nothing_and_hands_the_failed_tenants_back()
    {
        var rollout = Rollout(s => { s.BatchSize = 4; s.MaxParallel = 4; s.MaxFailures = 1; });
        rollout.Status = new SchemaRolloutStatus { CurrentWave = new() { Number = 1, Tenants = ["t00", "t01", "t02", "t03"], Started = ["t00", "t01", "t02", "t03"] } };
        var fleet = Fleet(8);
        Failed(fleet[0]);
        Failed(fleet[1]);
        Asked(fleet[2], migrated: false);
        Asked(fleet[3], migrated: true);

        var plan = Plan(rollout, fleet);

        Assert.Equal(SchemaRolloutPhase.Halted.ToWire(), plan.Status.Phase);
        Assert.Empty(plan.Start);
        Assert.Equal(["t00", "t01"], plan.Revert);
        Assert.Equal(["t00", "t01"], plan.Status.FailedTenants!.Select(f => f.Name));
        Assert.Equal(SchemaRolloutReason.FailureBudgetExceeded.ToWire(), Conditions.Find(plan.Status.Conditions, SchemaRolloutConditions.Progressing)!.Reason);
        Assert.False(plan.Settled);
    }

    [Fact]
    public void After_the_canary_the_spec_is_paused_and_only_a_later_generation_with_paused_false_approves()
    {
        var rollout = Rollout(s => { s.Canary = new() { Count = 1 }; s.PauseAfterCanary = true; s.BatchSize = 2; });
        rollout.Status = new SchemaRolloutStatus { CurrentWave = new() { Number = 0, Tenants = ["t00"], Started = ["t00"] } };
        var fleet = Fleet(4);
        Asked(fleet[0], migrated: true);

        var canaryDone = Plan(rollout, fleet);
        Assert.True(canaryDone.PauseSpec);
        Assert.Equal(SchemaRolloutPhase.AwaitingApproval.ToWire(), canaryDone.Status.Phase);
        Assert.Empty(canaryDone.Start);

        rollout.Spec.Paused = true;
        rollout.Metadata.Generation = 2;
        rollout.Status.PausedAtGeneration = 2;
        Assert.Equal((false, SchemaRolloutPhase.AwaitingApproval.ToWire()), (Plan(rollout, fleet).PauseSpec, Plan(rollout, fleet).Status.Phase));

        rollout.Spec.Paused = false;
        rollout.Metadata.Generation = 3;
        var approved = Plan(rollout, fleet);
        Assert.Equal((SchemaRolloutPhase.Rolling.ToWire(), true), (approved.Status.Phase, approved.Status.CanaryApproved == true));
        Assert.Equal(["t01"], approved.Start);
    }

    [Fact]
    public void Tenants_being_deleted_are_skipped_and_a_fleet_at_the_target_has_succeeded()
    {
        var fleet = Fleet(3);
        Asked(fleet[0], migrated: true);
        Asked(fleet[1], migrated: true);
        fleet[2].Metadata.DeletionTimestamp = Now.UtcDateTime;

        var plan = Plan(Rollout(_ => { }), fleet);

        Assert.Equal((SchemaRolloutPhase.Succeeded.ToWire(), 2, 2, 1), (plan.Status.Phase, plan.Status.Total, plan.Status.Migrated, plan.Status.Skipped));
        Assert.Empty(plan.Start);
        Assert.True(plan.Settled);
    }

    [Fact]
    public void A_started_tenant_the_cache_still_shows_unasked_is_asked_again_but_still_counts_against_maxParallel()
    {
        var rollout = Rollout(s => { s.BatchSize = 3; s.MaxParallel = 1; });
        rollout.Status = new SchemaRolloutStatus { CurrentWave = new() { Number = 1, Tenants = ["t00", "t01", "t02"], Started = ["t00"] } };

        var plan = Plan(rollout, Fleet(3));

        Assert.Equal(["t00"], plan.Start);
    }

    private static RolloutPlan Plan(SchemaRollout rollout, List<Tenant> fleet) => RolloutPlanner.Plan(rollout, Target, fleet, Now);

    private static SchemaRollout Rollout(Action<SchemaRolloutSpec> spec)
    {
        var rollout = new SchemaRollout { Metadata = new V1ObjectMeta { Name = "r", NamespaceProperty = "tenants", Generation = 1 } };
        rollout.Spec.TargetVersion = "3";
        spec(rollout.Spec);
        return rollout;
    }

    private static List<Tenant> Fleet(int count) =>
    [
        .. Enumerable.Range(0, count).Select(i => new Tenant
        {
            Metadata = new V1ObjectMeta { Name = $"t{i:00}", NamespaceProperty = "tenants", Generation = 1 },
            Status = new TenantStatus { SchemaVersion = "2", ObservedGeneration = 1 },
        }),
    ];

    private static void Asked(Tenant tenant, bool migrated)
    {
        tenant.Spec.SchemaVersion = "3";
        tenant.Metadata.Generation = 2;
        tenant.Status.ObservedGeneration = migrated ? 2 : 1;
        tenant.Status.SchemaVersion = migrated ? "3" : "2";
    }

    private static void Failed(Tenant tenant)
    {
        Asked(tenant, migrated: false);
        tenant.Status.ObservedGeneration = 2;
        tenant.Status.Conditions = Conditions.Set(null, TenantConditions.Ready, Conditions.False, TenantReadyReason.SchemaMigrationFailed.ToWire(), "boom", 2, Now);
    }
}
