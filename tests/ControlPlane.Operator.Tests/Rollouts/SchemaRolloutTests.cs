using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Rollouts;

public sealed class SchemaRolloutTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_rollout_runs_the_canary_first_waits_for_approval_then_batches_within_maxParallel()
    {
        await using var fleet = await RolloutFleet.StartAsync(postgres, 20, _ct, (name, spec) => spec.Suspended = name == "t05" ? true : null);
        var cluster = fleet.Cluster;

        // A tenant being deleted (held by a finalizer of the test's) is skipped.
        await cluster.CreateTenantAsync("zz-leaving", s => s.SchemaVersion = "2", _ct);
        fleet.StartOperator();
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("zz-leaving", _ct)), TimeSpan.FromSeconds(60), "zz-leaving converged", _ct);
        await HoldAndDeleteAsync(cluster, "zz-leaving");

        // A new version shipping moves no existing tenant by itself.
        await Task.Delay(500, _ct);
        Assert.Empty(await fleet.MigratedInOrderAsync("3", _ct));

        await fleet.CreateRolloutAsync("a-first", s =>
        {
            s.Canary = new SchemaRolloutCanary { Names = ["t13", "t07"], Count = 3 };
            s.BatchSize = 5;
            s.MaxParallel = 2;
            s.PauseAfterCanary = true;
        }, _ct);
        await fleet.CreateRolloutAsync("b-overlapping", _ => { }, _ct);

        var awaiting = await fleet.WaitForPhaseAsync("a-first", SchemaRolloutPhase.AwaitingApproval, _ct);
        Assert.True(awaiting.Spec.Paused);
        Assert.Equal(["t00", "t07", "t13"], (await fleet.MigratedInOrderAsync("3", _ct)).Order());
        var refused = await fleet.GetRolloutAsync("b-overlapping", _ct);
        Assert.Null(refused!.Status.CurrentWave);
        Assert.Equal(SchemaRolloutReason.OverlappingRollout.ToWire(), Conditions.Find(refused.Status.Conditions, SchemaRolloutConditions.Progressing)?.Reason);
        Assert.Contains("a-first", Conditions.Find(refused.Status.Conditions, SchemaRolloutConditions.Progressing)!.Message, StringComparison.Ordinal);

        // Nothing moves while the approval is pending.
        await Task.Delay(1000, _ct);
        Assert.Equal(3, (await fleet.MigratedInOrderAsync("3", _ct)).Count);

        await fleet.UpdateRolloutAsync("a-first", s => s.Paused = false, _ct);
        var done = await fleet.WaitForPhaseAsync("a-first", SchemaRolloutPhase.Succeeded, _ct);
        Assert.Equal((20, 20, 0, 0, 1), (done.Status.Total, done.Status.Migrated, done.Status.Failed, done.Status.Pending, done.Status.Skipped));

        // Canary first by the catalog's migrated events; then batches of at most 5 in name order, each after the last.
        var order = await fleet.MigratedInOrderAsync("3", _ct);
        Assert.Equal(["t00", "t07", "t13"], order.Take(3).Order());
        Assert.Equal(fleet.Names, order.Order());
        var probes = await fleet.ProbesAsync(_ct);
        Assert.All(probes.Values, runs => Assert.Single(runs));
        var waves = new List<List<string>> { new() { "t13", "t07", "t00" } };
        waves.AddRange(fleet.Names.Except(waves[0]).Chunk(5).Select(c => c.ToList()));
        for (var i = 1; i < waves.Count; i++)
        {
            var previousEnd = waves[i - 1].Max(n => probes[n][0].Finished);
            var start = waves[i].Min(n => probes[n][0].Started);
            Assert.True(previousEnd < start, $"wave {i} started at {start:O} before wave {i - 1} finished at {previousEnd:O}");
        }

        // maxParallel measured in the tenant databases: never above 2, and used.
        Assert.Equal(2, RolloutFleet.MaxOverlap(probes.Values.Select(r => r[0])));

        // The suspended tenant was migrated and stays suspended; the leaving one was never touched.
        var suspended = await cluster.GetTenantAsync("t05", _ct);
        Assert.Equal((TenantPhases.Suspended, "3"), (suspended!.Status.Phase, suspended.Status.SchemaVersion));
        Assert.DoesNotContain("zz-leaving", order);

        // The overlapping rollout proceeds once the first has succeeded: everything is already at 3.
        await fleet.WaitForPhaseAsync("b-overlapping", SchemaRolloutPhase.Succeeded, _ct);
        Assert.Equal(20, (await fleet.MigratedInOrderAsync("3", _ct)).Count);

        // A finished rollout is over: a tenant created later, pinned to the old version, is left there.
        await cluster.CreateTenantAsync("late", s => s.SchemaVersion = "2", _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("late", _ct)), TimeSpan.FromSeconds(60), "late converged", _ct);
        await Task.Delay(1000, _ct);
        var late = await cluster.GetTenantAsync("late", _ct);
        Assert.Equal(("2", "2"), (late!.Spec.SchemaVersion, late.Status.SchemaVersion));
    }

    [Fact]
    public async Task A_rollout_found_at_start_waits_for_the_whole_fleet_in_the_cache_before_it_plans()
    {
        // The Tenant informer's first lists fail while the rollout's succeeds: planned over the empty cache, the rollout
        // selected no tenant and was Succeeded at once without migrating anyone.
        await using var fleet = await RolloutFleet.StartAsync(postgres, 4, _ct);
        await fleet.CreateRolloutAsync("to-v3", s =>
        {
            s.BatchSize = 4;
            s.MaxParallel = 4;
        }, _ct);
        fleet.Cluster.Server.FailNext("list", "/apis/controlplane.econt.io/v1alpha1/*tenants", 503, count: 3);

        fleet.StartOperator();
        await fleet.WaitForPhaseAsync("to-v3", SchemaRolloutPhase.Succeeded, _ct);

        Assert.Equal(["t00", "t01", "t02", "t03"], (await fleet.MigratedInOrderAsync("3", _ct)).Order());
    }

    [Fact]
    public async Task A_rollout_whose_named_canary_is_not_there_yet_waits_for_it_and_starts_no_other_tenant()
    {
        // Likely behind a failed soak run (issue 20): the rollout's watch delivered it before the Tenant watch delivered
        // its canary, and the rollout skipped the canary and its approval and rolled the fleet. Here the canary comes later.
        await using var fleet = await RolloutFleet.StartAsync(postgres, 3, _ct);
        fleet.StartOperator();
        await fleet.CreateRolloutAsync("to-v3", s =>
        {
            s.Canary = new SchemaRolloutCanary { Names = ["late"] };
            s.PauseAfterCanary = true;
            s.BatchSize = 1;
        }, _ct);

        SchemaRollout? waiting = null;
        await OperatorTestCluster.WaitUntilAsync(
            async () => Conditions.Find((waiting = await fleet.GetRolloutAsync("to-v3", _ct))?.Status.Conditions, SchemaRolloutConditions.Progressing)?.Reason
                        == SchemaRolloutReason.CanaryNotFound.ToWire(),
            TimeSpan.FromSeconds(60), () => $"the rollout waits for its canary (last seen phase {waiting?.Status.Phase ?? "none"})", _ct);
        Assert.Equal(SchemaRolloutPhase.Pending.ToWire(), waiting!.Status.Phase);
        Assert.Contains("late", Conditions.Find(waiting.Status.Conditions, SchemaRolloutConditions.Progressing)!.Message, StringComparison.Ordinal);
        Assert.Empty(await fleet.MigratedInOrderAsync("3", _ct));

        await fleet.Cluster.CreateTenantAsync("late", s => s.SchemaVersion = "2", _ct);
        var awaiting = await fleet.WaitForPhaseAsync("to-v3", SchemaRolloutPhase.AwaitingApproval, _ct);

        Assert.Equal(["late"], awaiting.Status.CurrentWave!.Tenants);
        Assert.Equal(["late"], await fleet.MigratedInOrderAsync("3", _ct));
    }

    [Fact]
    public async Task Failures_beyond_the_budget_halt_the_rollout_and_leave_the_remaining_tenants_untouched()
    {
        await using var fleet = await RolloutFleet.StartAsync(postgres, 20, _ct);
        foreach (var name in new[] { "t02", "t05", "t06" })
        {
            await fleet.BreakAsync(name, _ct);
        }

        fleet.StartOperator();
        var created = System.Diagnostics.Stopwatch.StartNew();
        await fleet.CreateRolloutAsync("to-v3", s =>
        {
            s.BatchSize = 4;
            s.MaxParallel = 4;
            s.MaxFailures = 1;
        }, _ct);

        var halted = await fleet.WaitForPhaseAsync("to-v3", SchemaRolloutPhase.Halted, _ct);

        // A figure for the record (issue 20: the same bound with or without a busy core), never an assertion.
        TestContext.Current.TestOutputHelper?.WriteLine($"rollout to-v3 Halted {created.Elapsed.TotalSeconds:F1} s after it was created");
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await fleet.GetRolloutAsync("to-v3", _ct))!.Status.Failed == 3, TimeSpan.FromSeconds(60), "both failures of wave 2 recorded", _ct);
        halted = (await fleet.GetRolloutAsync("to-v3", _ct))!;
        Assert.Equal(["t02", "t05", "t06"], halted.Status.FailedTenants!.Select(f => f.Name).Order());
        Assert.All(halted.Status.FailedTenants!, f => Assert.Equal(TenantReadyReason.SchemaMigrationFailed.ToWire(), f.Reason));
        Assert.All(halted.Status.FailedTenants!, f => Assert.Contains(RolloutFleet.BrokenMessage, f.Message, StringComparison.Ordinal));
        Assert.Equal(SchemaRolloutReason.FailureBudgetExceeded.ToWire(), Conditions.Find(halted.Status.Conditions, SchemaRolloutConditions.Progressing)?.Reason);
        // The reconciler writes status, then records the Event: wait for the Event rather than read it the instant status shows.
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(fleet.Cluster.Server.ListEvents(OperatorTestCluster.TenantNamespace).Any(
                e => (string?)e["reason"] == SchemaRolloutPhase.Halted.ToWire() && (string?)e["type"] == "Warning" && (string?)e["involvedObject"]?["name"] == "to-v3")),
            TimeSpan.FromSeconds(30), "a Warning Event Halted on to-v3", _ct);

        // The two first waves ran; every later tenant is untouched: no migration, no spec change, no error.
        await Task.Delay(1000, _ct);
        var migrated = await fleet.MigratedInOrderAsync("3", _ct);
        Assert.Equal(["t00", "t01", "t03", "t04", "t07"], migrated.Order());
        Assert.Equal(["t02", "t05", "t06"], (await fleet.ErrorsContainingAsync(RolloutFleet.BrokenMessage, _ct)).Distinct());
        foreach (var name in fleet.Names.Skip(8))
        {
            var tenant = await fleet.Cluster.GetTenantAsync(name, _ct);
            Assert.Equal(("2", null), (tenant!.Status.SchemaVersion, tenant.Spec.SchemaVersion));
        }

        var probes = await fleet.ProbesAsync(_ct);
        Assert.All(fleet.Names.Skip(8), name => Assert.Empty(probes[name]));

        // The failed tenants were handed back (no target) and serve again at version 2.
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await Task.WhenAll(new[] { "t02", "t05", "t06" }.Select(n => fleet.Cluster.GetTenantAsync(n, _ct))))
                .All(t => t!.Spec.SchemaVersion is null && t.Status.SchemaVersion == "2" && OperatorTestCluster.IsConverged(t)),
            TimeSpan.FromSeconds(60), "failed tenants back to Ready at 2", _ct);

        // Raising the budget lets the same rollout finish the fleet (the state is recomputed, not remembered as "halted").
        await fleet.UpdateRolloutAsync("to-v3", s => s.MaxFailures = 3, _ct);
        var done = await fleet.WaitForPhaseAsync("to-v3", SchemaRolloutPhase.Succeeded, _ct);
        Assert.Equal((20, 17, 3), (done.Status.Total, done.Status.Migrated, done.Status.Failed));

        // The board: kubectl shows the rollout's printer columns as the operator set them.
        if (await fleet.KubectlGetAsync("schemarollouts", _ct) is { } table)
        {
            TestContext.Current.SendDiagnosticMessage("kubectl get schemarollouts:\n" + table);
            var lines = table.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
            Assert.Equal(["NAME", "TARGET", "PHASE", "MIGRATED", "FAILED", "TOTAL", "AGE"], lines[0]);
            Assert.Equal(["to-v3", "3", "Succeeded", "17", "3", "20"], lines[1][..6]);
        }
    }

    [Fact]
    public async Task A_leader_change_mid_wave_continues_the_rollout_without_migrating_any_tenant_twice()
    {
        await using var fleet = await RolloutFleet.StartAsync(postgres, 20, _ct);
        var first = fleet.StartOperator("first", electLeader: true);
        await OperatorTestCluster.WaitUntilAsync(() => Task.FromResult(first.Operator.Leadership.IsLeader), TimeSpan.FromSeconds(10), "first leads", _ct);
        var standby = fleet.StartOperator("second", electLeader: true);
        await fleet.CreateRolloutAsync("to-v3", s =>
        {
            s.BatchSize = 6;
            s.MaxParallel = 3;
        }, _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await fleet.MigratedInOrderAsync("3", _ct)).Count >= 4, TimeSpan.FromSeconds(60), "four tenants migrated", _ct);
        Assert.False(standby.Operator.Leadership.IsLeader);
        await first.StopAsync();
        var stoppedAt = (await fleet.MigratedInOrderAsync("3", _ct)).Count;
        Assert.InRange(stoppedAt, 4, 19);

        var done = await fleet.WaitForPhaseAsync("to-v3", SchemaRolloutPhase.Succeeded, _ct);

        Assert.Equal((20, 20), (done.Status.Total, done.Status.Migrated));
        var order = await fleet.MigratedInOrderAsync("3", _ct);
        Assert.Equal(fleet.Names, order.Order());
        var probes = await fleet.ProbesAsync(_ct);
        Assert.All(probes.Values, runs => Assert.Single(runs));
        Assert.InRange(RolloutFleet.MaxOverlap(probes.Values.Select(r => r[0])), 1, 3);
        var waves = fleet.Names.Chunk(6).ToList();
        for (var i = 1; i < waves.Count; i++)
        {
            Assert.True(waves[i - 1].Max(n => probes[n][0].Finished) < waves[i].Min(n => probes[n][0].Started), $"wave {i} overlapped wave {i - 1}");
        }
    }

    private static async Task HoldAndDeleteAsync(OperatorTestCluster cluster, string name)
    {
        var client = new KubernetesResourceClient<Tenant>(cluster.Client, ControlPlane.Operator.Hosting.TenantOperator.Resource);
        var tenant = (await client.GetAsync(OperatorTestCluster.TenantNamespace, name, default))!;
        tenant.Metadata.Finalizers = [.. tenant.Metadata.Finalizers ?? [], "test.econt.io/hold"];
        await client.ReplaceAsync(tenant, default);
        await cluster.DeleteTenantAsync(name, default);
    }
}
