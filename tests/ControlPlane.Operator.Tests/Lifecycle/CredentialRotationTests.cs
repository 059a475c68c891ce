using System.Diagnostics;
using System.Text.Json;
using ControlPlane.Client;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Testing;
using k8s;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// Password rotation (issue 16) against PostgreSQL 17 with password authentication, the in-process API server and the
/// Kubernetes secret backend: the world after a rotation, exactly one rotation per request whatever crashes, and the
/// resolver of another process serving the new password at once.
/// </summary>
public sealed class CredentialRotationTests(PostgresFixture postgres)
{
    private const string Token = "2026-12-01T10.00.00Z";
    private const string Request = CredentialRotationRules.RequestPrefix + Token;

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public static TheoryData<string> RotationSteps => [.. ProvisioningSteps.Rotation];

    [Fact]
    public async Task Rotating_by_annotation_locks_out_the_old_password_admits_the_new_one_and_keeps_open_sessions()
    {
        await using var run = await LifecycleSetup.For(postgres).WithTenant("acme").StartAsync(_ct);
        var (cluster, world) = (run.Cluster, run.World);
        var database = cluster.DatabaseNameFor("acme");
        var old = (await world.GeneratedPasswordAsync("acme"))!;

        // Another replica's resolver, its caches far longer-lived than the test's wait: only the change notification
        // can make it serve the new password in time.
        await using var resolver = await StartResolverAsync(cluster);
        Assert.Equal(old, await ResolvedPasswordAsync(resolver));
        await using var session = new NpgsqlConnection(cluster.TenantServer.LoginAs(database, old, database).ConnectionString);
        await session.OpenAsync(_ct);

        await AnnotateAsync(cluster, "acme", Token);
        var rotated = await world.WaitForAsync("acme", t => t.Status.Credentials?.Rotation == Request, "status reports the rotation");
        var clock = Stopwatch.StartNew();
        await OperatorTestCluster.WaitUntilAsync(async () => await ResolvedPasswordAsync(resolver) != old, TimeSpan.FromSeconds(30), "the resolver serves the new password", _ct);
        TestContext.Current.TestOutputHelper?.WriteLine($"Resolver served the new password {clock.ElapsedMilliseconds} ms after status reported the rotation.");

        var current = (await world.GeneratedPasswordAsync("acme"))!;
        Assert.NotEqual(old, current);
        Assert.Equal(current, await ResolvedPasswordAsync(resolver));
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(database, current, "SELECT 1"));
        var refused = await Assert.ThrowsAsync<PostgresException>(() => world.QueryAsTenantAsync<int>(database, old, "SELECT 1"));
        Assert.Equal(PostgresErrorCodes.InvalidPassword, refused.SqlState);
        await using (var stillOpen = new NpgsqlCommand("SELECT 2", session))
        {
            Assert.Equal(2, (int)(await stillOpen.ExecuteScalarAsync(_ct))!);
        }

        Assert.NotNull(rotated.Status.Credentials!.RotatedAt);
        Assert.Null(rotated.Status.Credentials.NextRotationAt);
        Assert.Contains(TenantEventReason.CredentialsRotated.ToWire(), world.KubernetesEventReasons("acme"));

        // A resync, and the same token again, rotate nothing more; the password is in no event, status or catalog row.
        var rowId = Guid.Parse(rotated.Status.TenantId!);
        await cluster.UpdateSpecAsync("acme", s => s.DisplayName = "Acme after rotation", _ct);
        await world.WaitForAsync("acme", t => OperatorTestCluster.IsConverged(t) && t.Status.Credentials?.Rotation == Request, "converged again");
        Assert.Single(await world.EventsAsync(rowId), e => e.Type == "credentials_rotated");
        Assert.Equal(current, await world.GeneratedPasswordAsync("acme"));
        var catalog = await world.CatalogDumpAsync();
        Assert.DoesNotContain(current, catalog, StringComparison.Ordinal);
        Assert.DoesNotContain(old, catalog, StringComparison.Ordinal);
        Assert.DoesNotContain(current, JsonSerializer.Serialize(await cluster.GetTenantAsync("acme", _ct)), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RotationSteps))]
    public async Task A_crash_after_any_rotation_step_converges_to_exactly_one_new_version(string step)
    {
        var crash = new CrashAtStep(step);
        await using var run = await LifecycleSetup.For(postgres).WithOperator(faults: crash).WithTenant("acme").StartAsync(_ct);
        var (cluster, world, first, acme) = (run.Cluster, run.World, run.Operator, run.Tenants["acme"]);
        var database = cluster.DatabaseNameFor("acme");
        var old = (await world.GeneratedPasswordAsync("acme"))!;
        var secretPath = $"/api/v1/namespaces/{OperatorTestCluster.SecretNamespace}/secrets/tenant-acme-db";
        var writesBefore = cluster.Server.CountRequests("update", secretPath);

        await AnnotateAsync(cluster, "acme", Token);
        await crash.Crashed.Task.WaitAsync(TimeSpan.FromSeconds(60), _ct);
        await first.StopAsync();
        cluster.StartOperator();
        await world.WaitForAsync("acme", t => t.Status.Credentials?.Rotation == Request && OperatorTestCluster.IsConverged(t), $"rotated after a crash at {step}");

        Assert.Equal(writesBefore + 1, cluster.Server.CountRequests("update", secretPath));
        var current = (await world.GeneratedPasswordAsync("acme"))!;
        Assert.NotEqual(old, current);
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(database, current, "SELECT 1"));
        await Assert.ThrowsAsync<PostgresException>(() => world.QueryAsTenantAsync<int>(database, old, "SELECT 1"));
        Assert.Single(await world.EventsAsync(Guid.Parse(acme.Status.TenantId!)), e => e.Type == "credentials_rotated");
        var secret = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("tenant-acme-db", OperatorTestCluster.SecretNamespace, cancellationToken: _ct);
        Assert.Equal($"{{\"password\":\"{Request}\"}}", secret.Metadata.Annotations[RotationMarks.Annotation]);
    }

    [Fact]
    public async Task A_rotateEvery_schedule_fires_on_the_clock_once_per_period_and_survives_a_lost_status()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var tenants = new KubernetesResourceClient<Tenant>(cluster.Client, ControlPlane.Operator.Hosting.TenantOperator.Resource);
        var reconciler = new TenantReconciler(
            tenants,
            new EventRecorder(new KubernetesEventClient(cluster.Client), "controlplane-operator", "test", clock, NullLogger<EventRecorder>.Instance),
            cluster.CreateLifecycle(cluster.DefaultOptions()),
            clock,
            NullLogger<TenantReconciler>.Instance);
        await cluster.CreateTenantAsync("acme", s => s.Credentials = new TenantCredentials { RotateEvery = "24h" }, _ct);
        var database = cluster.DatabaseNameFor("acme");

        async Task<(ReconcileResult Result, Tenant Tenant)> ReconcileAsync()
        {
            var result = await reconciler.ReconcileAsync((await cluster.GetTenantAsync("acme", _ct))!, _ct);
            return (result, (await cluster.GetTenantAsync("acme", _ct))!);
        }

        async Task<int> RotationsAsync(Tenant tenant) =>
            (await world.EventsAsync(Guid.Parse(tenant.Status.TenantId!))).Count(e => e.Type == "credentials_rotated");

        var (result, acme) = await ReconcileAsync();
        while (!OperatorTestCluster.IsConverged(acme))
        {
            (result, acme) = await ReconcileAsync();
        }

        // Not due yet: the first rotation falls due a period after the catalog's creation time, the reconciler asks to
        // look again before then, and nothing rotated.
        var created = await CreatedAtAsync(cluster, acme);
        Assert.Equal(created.AddTicks(-(created.Ticks % TimeSpan.TicksPerSecond)) + TimeSpan.FromHours(24), acme.Status.Credentials!.NextRotationAt);
        Assert.True(result is ReconcileResult.Requeue { After: var after } && after <= TenantReconciler.RotationRecheck, $"{result}");
        var first = (await world.GeneratedPasswordAsync("acme"))!;
        clock.SetUtcNow(created + TimeSpan.FromHours(23));
        (_, acme) = await ReconcileAsync();
        Assert.Equal(0, await RotationsAsync(acme));
        Assert.Equal(first, await world.GeneratedPasswordAsync("acme"));

        // Due: one rotation, scheduled, at the clock's time; the next one a period later.
        clock.Advance(TimeSpan.FromHours(1) + TimeSpan.FromMinutes(1));
        (_, acme) = await ReconcileAsync();
        (_, acme) = await ReconcileAsync();
        Assert.Equal(1, await RotationsAsync(acme));
        var second = (await world.GeneratedPasswordAsync("acme"))!;
        Assert.NotEqual(first, second);
        Assert.Equal(1, await world.QueryAsTenantAsync<int>(database, second, "SELECT 1"));
        var credentials = acme.Status.Credentials!;
        Assert.StartsWith(CredentialRotationRules.SchedulePrefix, credentials.Rotation, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(24), credentials.NextRotationAt - credentials.RotatedAt);
        Assert.InRange(clock.GetUtcNow().UtcDateTime - credentials.RotatedAt!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1));

        // Status is a cache: lost, it is rebuilt from the catalog's event, and the schedule does not restart.
        acme.Status.Credentials = null;
        await tenants.ReplaceStatusAsync(acme, _ct);
        (_, acme) = await ReconcileAsync();
        Assert.Equal(credentials.RotatedAt, acme.Status.Credentials!.RotatedAt);
        Assert.Equal(credentials.NextRotationAt, acme.Status.Credentials.NextRotationAt);
        Assert.Equal(1, await RotationsAsync(acme));

        clock.Advance(TimeSpan.FromHours(24));
        (_, acme) = await ReconcileAsync();
        Assert.Equal(2, await RotationsAsync(acme));
        Assert.NotEqual(second, await world.GeneratedPasswordAsync("acme"));
    }

    private async Task<DateTime> CreatedAtAsync(OperatorTestCluster cluster, Tenant tenant)
    {
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var command = catalog.CreateCommand("SELECT created_at FROM control_plane.tenants WHERE id = $1");
        command.Parameters.Add(new() { Value = Guid.Parse(tenant.Status.TenantId!) });
        return DateTime.SpecifyKind((DateTime)(await command.ExecuteScalarAsync(_ct))!, DateTimeKind.Utc);
    }

    private async Task AnnotateAsync(OperatorTestCluster cluster, string name, string token)
    {
        while (true)
        {
            var tenant = (await cluster.GetTenantAsync(name, _ct))!;
            tenant.Metadata.Annotations ??= new Dictionary<string, string>();
            tenant.Metadata.Annotations[CredentialRotationRules.Annotation] = token;
            try
            {
                await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
                    tenant, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, name, cancellationToken: _ct);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e))
            {
            }
        }
    }

    private async Task<TenantConnectionResolver> StartResolverAsync(OperatorTestCluster cluster)
    {
        var lifecycle = cluster.CreateLifecycle(cluster.DefaultOptions(), secretSettings: new Dictionary<string, string?> { ["SECRET_CACHE_TTL_SECONDS"] = "300" });
        Assert.IsType<ISecretCache>(lifecycle.Secrets, exactMatch: false);
        var resolver = new TenantConnectionResolver(
            NpgsqlDataSource.Create(cluster.CatalogConnectionString), lifecycle.Secrets,
            new TenantConnectionResolverOptions { CacheTtl = TimeSpan.FromMinutes(5) }, TimeProvider.System, NullLogger<TenantConnectionResolver>.Instance);
        await resolver.StartAsync(_ct);
        await OperatorTestCluster.WaitUntilAsync(() => Task.FromResult(resolver.IsListening), TimeSpan.FromSeconds(30), "the resolver listens", _ct);
        return resolver;
    }

    private async Task<string> ResolvedPasswordAsync(TenantConnectionResolver resolver) =>
        Assert.IsType<ResolveResult.Resolved>(await resolver.ResolveAsync("acme", _ct)).Connection.Password.Reveal();
}
