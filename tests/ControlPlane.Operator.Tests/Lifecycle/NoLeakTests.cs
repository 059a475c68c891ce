using System.Text;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using k8s;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Operator.Tests.Lifecycle;

public sealed class NoLeakTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Across_a_full_lifecycle_the_generated_password_appears_in_no_log_event_status_or_catalog_row()
    {
        using var logs = new ControlPlane.Testing.CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(builder => builder.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        await using var run = await LifecycleSetup.For(postgres)
            .WithOperator(loggers: loggers)
            .WithTenant("leaky", s => s.DeletionPolicy = DeletionPolicies.Delete)
            .StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var seen = new StringBuilder();

        seen.AppendLine(Json(run.Tenants["leaky"]));
        var password = (await world.GeneratedPasswordAsync("leaky"))!;
        await cluster.UpdateSpecAsync("leaky", s => s.Suspended = true, _ct);
        seen.AppendLine(Json(await world.WaitForAsync("leaky", t => t.Status.Phase == TenantPhases.Suspended, "Suspended")));
        await cluster.UpdateSpecAsync("leaky", s => s.Suspended = false, _ct);
        seen.AppendLine(Json(await world.WaitForAsync("leaky", OperatorTestCluster.IsConverged, "Active again")));
        seen.AppendLine(await world.CatalogDumpAsync());
        await cluster.DeleteTenantAsync("leaky", _ct);
        await world.WaitForGoneAsync("leaky");

        seen.AppendLine(await world.CatalogDumpAsync());
        seen.AppendLine(string.Join('\n', cluster.Server.ListEvents(null).Select(e => e.ToJsonString())));
        seen.AppendLine(logs.All);

        Assert.True(password.Length >= 32);
        Assert.Contains("leaky", logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(password, seen.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(cluster.TenantServer.AdminPassword, seen.ToString(), StringComparison.Ordinal);
    }

    private static string Json(Tenant tenant) => KubernetesJson.Serialize(tenant);
}
