using ControlPlane.Runtime;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Integration;

public sealed class RuntimeBehaviourTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_same_tenant_is_never_reconciled_concurrently_under_a_burst_of_updates_and_the_last_spec_wins()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var reconciler = new RecordingReconciler(TimeSpan.FromMilliseconds(20));
        cluster.StartRuntime(o => o.MaxConcurrentReconciles = 8, () => reconciler);
        var names = new[] { "a", "b", "c" };
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        await Task.WhenAll(names.Select(name => Task.Run(async () =>
        {
            for (var i = 1; i <= 40; i++)
            {
                await cluster.UpdateSpecAsync(name, s => s.DisplayName = $"{name}-{i}", _ct);
            }
        }, _ct)));

        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(names.All(n => reconciler.LastDisplayName.GetValueOrDefault(n) == $"{n}-40")),
            TimeSpan.FromSeconds(30), "every tenant was reconciled with its last spec", _ct);

        Assert.Equal(0, reconciler.Overlaps);
        Assert.True(reconciler.Total < 3 * 41, $"updates were not coalesced ({reconciler.Total} reconciles for 123 versions)");
    }

    [Fact]
    public async Task A_failing_tenant_backs_off_exponentially_while_the_others_proceed()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var reconciler = new RecordingReconciler(TimeSpan.Zero)
        {
            Answer = t => t.Metadata.Name == "broken" ? ReconcileResult.TransientError("database unreachable") : ReconcileResult.Success(),
        };
        var running = cluster.StartRuntime(o => (o.RetryInitialDelay, o.RetryMaxDelay) = (TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(10)), () => reconciler);

        await cluster.CreateTenantAsync("broken", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(reconciler.Calls.GetValueOrDefault("broken")?.Count >= 4), TimeSpan.FromSeconds(10), "broken failed 4 times", _ct);
        foreach (var name in new[] { "ok-1", "ok-2", "ok-3" })
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(new[] { "ok-1", "ok-2", "ok-3" }.All(reconciler.Calls.ContainsKey)), TimeSpan.FromSeconds(5), "the healthy tenants were reconciled", _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(reconciler.Calls["broken"].Count >= 6), TimeSpan.FromSeconds(15), "broken failed 6 times", _ct);

        var times = reconciler.Calls["broken"].Take(6).ToArray();
        var gaps = times.Zip(times.Skip(1), (a, b) => b - a).ToArray();
        for (var i = 0; i < gaps.Length; i++)
        {
            // Never earlier than the schedule 100 ms × 2^i (less 20 ms of timer granularity).
            Assert.True(gaps[i] >= TimeSpan.FromMilliseconds((100 << i) - 20), $"retry {i + 1} came after {gaps[i].TotalMilliseconds} ms");
        }

        Assert.All(new[] { "ok-1", "ok-2", "ok-3" }, n => Assert.Single(reconciler.Calls[n]));
        Assert.True(running.Operator.Controller.Queue.Failures(new ResourceKey("tenants", "broken")) >= 6);
    }
}
