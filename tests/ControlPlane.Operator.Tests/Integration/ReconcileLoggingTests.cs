using System.Diagnostics.Metrics;
using ControlPlane.Operator.Hosting;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Operator.Tests.Integration;

public sealed class ReconcileLoggingTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_failed_reconcile_is_logged_inside_a_scope_naming_namespace_name_and_generation()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        await using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var reconciler = new RecordingReconciler(TimeSpan.Zero) { Answer = _ => ReconcileResult.TransientError("catalog unreachable") };
        var tenantOperator = new TenantRuntime(
            cluster.CreateOperatorClient(), cluster.DefaultOptions(), TimeProvider.System,
            new OperatorMetrics(services.GetRequiredService<IMeterFactory>()), loggers, () => reconciler);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = tenantOperator.RunAsync(stop.Token);

        await cluster.CreateTenantAsync("acme", cancellationToken: _ct);
        await cluster.UpdateSpecAsync("acme", s => s.DisplayName = "ACME", _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(logs.Entries.Any(e => e.EventId.Id == 20 && Equals(e.Scope.GetValueOrDefault("Generation"), 2L))),
            TimeSpan.FromSeconds(15), "a failure of generation 2 was logged", _ct);
        await stop.CancelAsync();
        await run;

        var failure = logs.Entries.First(e => e.EventId.Id == 20 && Equals(e.Scope.GetValueOrDefault("Generation"), 2L));
        Assert.Equal(("tenants", "acme"), (failure.Scope["Namespace"], failure.Scope["Name"]));
        Assert.Contains("Reconcile of tenants/acme failed (catalog unreachable)", failure.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Entries, e => e.EventId.Id == 10 && e.Message.StartsWith("Listed Tenant in *: ", StringComparison.Ordinal));
    }
}
