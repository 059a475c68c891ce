using System.Text;
using System.Text.Json;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Lifecycle;

/// <summary>
/// The tenant database server's admin password rotation (issue 16) against PostgreSQL 17 with password authentication
/// and a CREATEDB/CREATEROLE admin that is not superuser, the in-process API server and the Kubernetes secret backend:
/// the world after a rotation, a crash after every step, refusals that change nothing, and the schedule on a fake clock.
/// </summary>
public sealed class AdminPasswordRotationTests(PostgresFixture postgres)
{
    private const string SecretPath = $"/api/v1/namespaces/{OperatorTestCluster.OperatorNamespace}/secrets/{OperatorTestCluster.AdminSecretName}";
    private const string PendingKey = "password" + AdminPasswordRules.PendingSuffix;

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public static TheoryData<string> Steps => [.. ProvisioningSteps.AdminPasswordRotation];

    [Fact]
    public async Task Rotating_locks_out_the_old_password_admits_the_new_one_keeps_open_sessions_and_reaches_another_process_pool_at_once()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await HandOverAdminSecretAsync(cluster);
        var old = cluster.TenantServer.AdminPassword;

        // "The operator": its pool holds a connection, and its store caches the admin password far longer than the test.
        var running = cluster.CreateLifecycle(cluster.DefaultOptions(), secretSettings: new Dictionary<string, string?> { ["SECRET_CACHE_TTL_SECONDS"] = "300" });
        var operatorServer = running.Servers.Get("default");
        await operatorServer.Administrator.CheckReachableAsync(_ct);
        await using var session = new NpgsqlConnection(Login(cluster, old));
        await session.OpenAsync(_ct);

        // "rotate-admin-password": another process, its own store and pool.
        using var logs = new ControlPlane.Testing.CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var other = cluster.CreateLifecycle(cluster.DefaultOptions(), loggers: loggers);
        var outcome = await Rotator(other, loggers: loggers).RotateAsync(other.Servers.Get("default"), onDemand: true, _ct);

        Assert.Equal(AdminPasswordResult.Rotated, outcome.Result);
        Assert.False(outcome.Resumed);
        Assert.Null(outcome.NextDue);
        var secret = await AdminSecretAsync(cluster);
        var current = Encoding.UTF8.GetString(secret.Data["password"]);
        Assert.NotEqual(old, current);
        Assert.False(secret.Data.ContainsKey(PendingKey));
        Assert.Equal(outcome.Rotation, JsonSerializer.Deserialize<Dictionary<string, string>>(secret.Metadata.Annotations[RotationMarks.Annotation])!["password"]);
        Assert.False(await AcceptsAsync(cluster, old));
        Assert.True(await AcceptsAsync(cluster, current));
        await using (var stillOpen = new NpgsqlCommand("SELECT 2", session))
        {
            Assert.Equal(2, (int)(await stillOpen.ExecuteScalarAsync(_ct))!);
        }

        // The operator's pool, without a restart and with the old password still in its store's cache, logs in anew.
        operatorServer.RetireIdleConnections();
        await operatorServer.Administrator.CheckReachableAsync(_ct);

        // Neither password, nor the verifier, is in any log line of the rotating process.
        Assert.Contains(logs.Lines, l => l.Contains("[90]", StringComparison.Ordinal));
        Assert.DoesNotContain(old, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(current, logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain("SCRAM-SHA-256$4096", logs.All, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Steps))]
    public async Task A_crash_after_any_step_never_locks_the_admin_out_and_the_operator_converges_to_exactly_one_rotation(string step)
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await HandOverAdminSecretAsync(cluster);
        var old = cluster.TenantServer.AdminPassword;
        var writesBefore = cluster.Server.CountRequests("update", SecretPath);
        var crashing = cluster.CreateLifecycle(cluster.DefaultOptions());
        var crash = new CrashAtStep(step);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Rotator(crashing, crash).RotateAsync(crashing.Servers.Get("default"), onDemand: true, _ct));
        Assert.True(crash.Crashed.Task.IsCompleted);

        // At the crash: some stored version is the role's password (current, or pending after the role changed).
        var atCrash = await AdminSecretAsync(cluster);
        var stored = atCrash.Data.Where(p => p.Key is "password" or PendingKey).Select(p => Encoding.UTF8.GetString(p.Value)).ToList();
        Assert.NotEmpty(await Filter(stored, p => AcceptsAsync(cluster, p)));
        var rotation = Marks(atCrash).GetValueOrDefault(PendingKey) ?? Marks(atCrash)["password"];

        // A new operator (no schedule configured) converges first thing as leader, and can provision with the result.
        cluster.StartOperator();
        await OperatorTestCluster.WaitUntilAsync(async () => !(await AdminSecretAsync(cluster)).Data.ContainsKey(PendingKey), TimeSpan.FromSeconds(60), "the pending entry is gone", _ct);
        await cluster.CreateTenantAsync("acme", cancellationToken: _ct);
        await new LifecycleWorld(cluster, postgres).WaitForAsync("acme", OperatorTestCluster.IsConverged, "Active with the rotated admin password");

        var secret = await AdminSecretAsync(cluster);
        var current = Encoding.UTF8.GetString(secret.Data["password"]);
        Assert.Equal(rotation, Marks(secret)["password"]);
        Assert.Equal(writesBefore + 3, cluster.Server.CountRequests("update", SecretPath));
        Assert.NotEqual(old, current);
        Assert.True(await AcceptsAsync(cluster, current));
        Assert.False(await AcceptsAsync(cluster, old));
    }

    [Fact]
    public async Task An_admin_secret_not_handed_to_the_operator_is_refused_before_anything_changes()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var lifecycle = cluster.CreateLifecycle(cluster.DefaultOptions());

        var outcome = await Rotator(lifecycle).RotateAsync(lifecycle.Servers.Get("default"), onDemand: true, _ct);

        Assert.Equal(AdminPasswordResult.Failed, outcome.Result);
        Assert.Equal(AdminPasswordFailure.SecretNotWritable, outcome.Reason);
        Assert.Equal(0, cluster.Server.CountRequests("update", SecretPath));
        Assert.True(await AcceptsAsync(cluster, cluster.TenantServer.AdminPassword));
        Assert.Equal(["password"], (await AdminSecretAsync(cluster)).Data.Keys);
    }

    [Fact]
    public async Task A_password_changed_outside_the_operator_is_named_and_nothing_is_written()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await HandOverAdminSecretAsync(cluster);
        var writes = cluster.Server.CountRequests("update", SecretPath);
        await using (var alter = postgres.Admin.CreateCommand($"ALTER ROLE {cluster.TenantServer.AdminRole} PASSWORD 'Changed-by-a-human-1'"))
        {
            await alter.ExecuteNonQueryAsync(_ct);
        }

        var lifecycle = cluster.CreateLifecycle(cluster.DefaultOptions());
        var outcome = await Rotator(lifecycle).RotateAsync(lifecycle.Servers.Get("default"), onDemand: true, _ct);

        Assert.Equal(AdminPasswordFailure.PasswordRejected, outcome.Reason);
        Assert.Equal(writes, cluster.Server.CountRequests("update", SecretPath));
        Assert.True(await AcceptsAsync(cluster, "Changed-by-a-human-1"));
        Assert.DoesNotContain("Changed-by-a-human-1", outcome.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_rotations_from_two_processes_take_turns_and_leave_one_stored_password_the_role_accepts()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await HandOverAdminSecretAsync(cluster);
        var one = cluster.CreateLifecycle(cluster.DefaultOptions());
        var two = cluster.CreateLifecycle(cluster.DefaultOptions());

        var outcomes = await Task.WhenAll(
            Task.Run(() => Rotator(one).RotateAsync(one.Servers.Get("default"), onDemand: true, _ct), _ct),
            Task.Run(() => Rotator(two).RotateAsync(two.Servers.Get("default"), onDemand: true, _ct), _ct));

        Assert.All(outcomes, o => Assert.Contains(o.Result, new[] { AdminPasswordResult.Rotated, AdminPasswordResult.Busy }));
        Assert.Contains(outcomes, o => o.Result == AdminPasswordResult.Rotated);
        var secret = await AdminSecretAsync(cluster);
        Assert.False(secret.Data.ContainsKey(PendingKey));
        Assert.True(await AcceptsAsync(cluster, Encoding.UTF8.GetString(secret.Data["password"])));
        Assert.Contains(Marks(secret)["password"], outcomes.Where(o => o.Result == AdminPasswordResult.Rotated).Select(o => o.Rotation));
    }

    [Fact]
    public async Task The_schedule_rotates_a_password_never_rotated_at_once_then_once_per_period_on_the_clock()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await HandOverAdminSecretAsync(cluster);
        var options = cluster.DefaultOptions();
        options.TenantDatabaseServers["default"].AdminPasswordRotateEvery = "24h";
        var lifecycle = cluster.CreateLifecycle(options);
        var server = lifecycle.Servers.Get("default");
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));
        var rotator = Rotator(lifecycle, time: clock);

        var first = await rotator.RotateAsync(server, onDemand: false, _ct);
        Assert.Equal(AdminPasswordResult.Rotated, first.Result);
        Assert.Equal(clock.GetUtcNow() + TimeSpan.FromHours(24), first.NextDue);

        clock.Advance(TimeSpan.FromHours(23));
        var early = await rotator.RotateAsync(server, onDemand: false, _ct);
        Assert.Equal(AdminPasswordResult.NotDue, early.Result);
        Assert.Equal(first.NextDue, early.NextDue);
        var writes = cluster.Server.CountRequests("update", SecretPath);

        clock.Advance(TimeSpan.FromHours(1));
        var due = await rotator.RotateAsync(server, onDemand: false, _ct);
        Assert.Equal(AdminPasswordResult.Rotated, due.Result);
        Assert.NotEqual(first.Rotation, due.Rotation);
        Assert.Equal(writes + 3, cluster.Server.CountRequests("update", SecretPath));
        Assert.Equal(AdminPasswordResult.NotDue, (await rotator.RotateAsync(server, onDemand: false, _ct)).Result);
        Assert.True(await AcceptsAsync(cluster, Encoding.UTF8.GetString((await AdminSecretAsync(cluster)).Data["password"])));
    }

    [Fact]
    public async Task The_command_rotates_prints_no_password_and_tells_by_its_exit_code_what_happened()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await HandOverAdminSecretAsync(cluster);
        var directory = Directory.CreateTempSubdirectory("econt-rotate-admin-");
        try
        {
            var kubeconfig = Path.Combine(directory.FullName, "kubeconfig");
            cluster.Server.WriteKubeconfig(kubeconfig);
            var (host, port) = cluster.TenantServerEndpoint;
            Dictionary<string, string?> Environment(string adminSecretRef) => new()
            {
                ["ENVIRONMENT"] = "dev",
                ["KUBECONFIG"] = kubeconfig,
                ["HOME"] = directory.FullName,
                ["POD_NAMESPACE"] = OperatorTestCluster.OperatorNamespace,
                ["SECRET_MANAGER_BACKEND"] = "k8s",
                ["Operator__TenantDatabaseServers__default__Host"] = host,
                ["Operator__TenantDatabaseServers__default__Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Operator__TenantDatabaseServers__default__AdminUser"] = cluster.TenantServer.AdminRole,
                ["Operator__TenantDatabaseServers__default__AdminSecretRef"] = adminSecretRef,
                ["ADMIN_PASSWORD_FROM_ENV"] = cluster.TenantServer.AdminPassword,
            };
            var stored = $"k8s:{OperatorTestCluster.OperatorNamespace}/{OperatorTestCluster.AdminSecretName}#password";

            var rotated = await OperatorProcess.RunAsync(["rotate-admin-password", "--server", "default", "--json"], Environment(stored), _ct);

            Assert.True(rotated.ExitCode == 0, rotated.Output);
            using var json = JsonDocument.Parse(rotated.Output);
            Assert.Equal(AdminPasswordResult.Rotated.ToWire(), json.RootElement.GetProperty("result").GetString());
            var current = Encoding.UTF8.GetString((await AdminSecretAsync(cluster)).Data["password"]);
            Assert.Equal(Marks(await AdminSecretAsync(cluster))["password"], json.RootElement.GetProperty("rotation").GetString());
            Assert.True(await AcceptsAsync(cluster, current));
            Assert.False(await AcceptsAsync(cluster, cluster.TenantServer.AdminPassword));
            Assert.DoesNotContain(current, rotated.Output, StringComparison.Ordinal);

            var unknown = await OperatorProcess.RunAsync(["rotate-admin-password", "--server", "elsewhere"], Environment(stored), _ct);
            Assert.Equal(2, unknown.ExitCode);
            Assert.Contains("No tenant database server 'elsewhere' is configured (known: default)", unknown.Output, StringComparison.Ordinal);

            var readOnly = await OperatorProcess.RunAsync(["rotate-admin-password", "--server", "default"], Environment("env:ADMIN_PASSWORD_FROM_ENV"), _ct);
            Assert.Equal(2, readOnly.ExitCode);
            Assert.Contains($"default: {AdminPasswordFailure.NotRotatable.ToWire()}: env:ADMIN_PASSWORD_FROM_ENV is read-only", readOnly.Output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static AdminPasswordRotator Rotator(TenantLifecycle lifecycle, IProvisioningFaults? faults = null, TimeProvider? time = null, ILoggerFactory? loggers = null) =>
        new(lifecycle.Secrets, faults ?? IProvisioningFaults.None, time ?? TimeProvider.System, (loggers ?? NullLoggerFactory.Instance).CreateLogger<AdminPasswordRotator>());

    /// <summary>What a platform engineer does to let the operator rotate: mark the Secret as the operator's.</summary>
    private async Task HandOverAdminSecretAsync(OperatorTestCluster cluster)
    {
        var secret = await AdminSecretAsync(cluster);
        secret.Metadata.Labels = new Dictionary<string, string> { [KubernetesSecretLabels.ManagedByKey] = KubernetesSecretLabels.ManagedBy };
        await cluster.Client.CoreV1.ReplaceNamespacedSecretAsync(secret, OperatorTestCluster.AdminSecretName, OperatorTestCluster.OperatorNamespace, cancellationToken: _ct);
    }

    private Task<V1Secret> AdminSecretAsync(OperatorTestCluster cluster) =>
        cluster.Client.CoreV1.ReadNamespacedSecretAsync(OperatorTestCluster.AdminSecretName, OperatorTestCluster.OperatorNamespace, cancellationToken: _ct);

    private static Dictionary<string, string> Marks(V1Secret secret) =>
        secret.Metadata.Annotations?.TryGetValue(RotationMarks.Annotation, out var json) == true
            ? JsonSerializer.Deserialize<Dictionary<string, string>>(json)!
            : [];

    private static string Login(OperatorTestCluster cluster, string password) =>
        cluster.TenantServer.LoginAs(cluster.TenantServer.AdminRole, password, "postgres").ConnectionString;

    /// <summary>One real login as the admin: true when accepted, false on 28P01.</summary>
    private async Task<bool> AcceptsAsync(OperatorTestCluster cluster, string password)
    {
        try
        {
            await using var connection = new NpgsqlConnection(Login(cluster, password));
            await connection.OpenAsync(_ct);
            return true;
        }
        catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.InvalidPassword)
        {
            return false;
        }
    }

    private static async Task<List<string>> Filter(IEnumerable<string> values, Func<string, Task<bool>> keep)
    {
        var kept = new List<string>();
        foreach (var value in values)
        {
            if (await keep(value))
            {
                kept.Add(value);
            }
        }

        return kept;
    }
}
