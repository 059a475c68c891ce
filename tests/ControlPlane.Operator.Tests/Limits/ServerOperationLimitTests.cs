using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Operator.Tests.Rollouts;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Npgsql;

namespace ControlPlane.Operator.Tests.Limits;

/// <summary>
/// maxConcurrentOperations measured where it matters, in the database server: every tenant migration leaves a probe row
/// (when it started and ended) in the tenant database, and a sampler reads pg_stat_activity throughout for the sessions
/// the operator holds there (its admin role's, and those in this test's tenant databases).
/// </summary>
public sealed class ServerOperationLimitTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_server_limited_to_2_never_runs_more_than_2_operations_under_20_simultaneous_provisionings_a_rollout_and_deletions()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        using var migrations = ProbeMigrations.Create();
        cluster.StartOperator(o =>
        {
            o.MaxConcurrentReconciles = 8;
            o.TenantMigrationsPath = migrations.Path;
            o.TenantDatabaseServers["default"].MaxConcurrentOperations = 2;
        });
        await using var sampler = SessionSampler.Start(postgres, cluster.TenantServer);
        var names = Enumerable.Range(0, 20).Select(i => $"n{i:00}").ToList();

        await Task.WhenAll(names.Select(n => cluster.CreateTenantAsync(n, s => s.SchemaVersion = "3", _ct)));
        var busySeen = await WaitForAllAsync(cluster, names, t => OperatorTestCluster.IsConverged(t) && t!.Status.SchemaVersion == "3");
        await CreateRolloutAsync(cluster, "to-v4", _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await new KubernetesResourceClient<SchemaRollout>(cluster.Client, SchemaRolloutOperator.Resource)
                .GetAsync(OperatorTestCluster.TenantNamespace, "to-v4", _ct))?.Status.Phase == SchemaRolloutPhase.Succeeded.ToWire(),
            TimeSpan.FromSeconds(180), "the rollout to V4 succeeded", _ct);
        var probes = await ProbeMigrations.ReadAsync(postgres, cluster, names, _ct);
        foreach (var name in names)
        {
            await cluster.DeleteTenantAsync(name, _ct);
        }

        await OperatorTestCluster.WaitUntilAsync(
            async () => (await Task.WhenAll(names.Select(n => cluster.GetTenantAsync(n, _ct)))).All(t => t is null),
            TimeSpan.FromSeconds(180), "every Tenant is deleted", _ct);
        var sessions = await sampler.StopAsync();

        var overlap3 = RolloutFleet.MaxOverlap(probes.Values.SelectMany(p => p).Where(p => p.Version == "3").Select(p => (p.Started, p.Finished)));
        var overlap4 = RolloutFleet.MaxOverlap(probes.Values.SelectMany(p => p).Where(p => p.Version == "4").Select(p => (p.Started, p.Finished)));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"max overlapping migrations: V3 {overlap3}, V4 {overlap4}; pg_stat_activity: {sessions.Samples} samples, at most {sessions.MaxBusy} busy operator sessions, {sessions.MaxAdminConnections} admin connections");

        // Every tenant ran V3 while being provisioned and V4 in the rollout, exactly once each.
        Assert.All(names, n => Assert.Equal(["3", "4"], probes[n].Select(p => p.Version).Order()));
        Assert.True(busySeen, "no Tenant ever showed Ready=False DatabaseServerBusy while 20 waited for 2 slots");

        // The limit held, and was reached: 2 migrations at once, never 3 (8 workers would run up to 8).
        Assert.Equal((2, 2), (overlap3, overlap4));

        // Sampled throughout, deletions included: never more than 2 busy sessions of the operator on the server, and the
        // admin pool (which follows the limit) never held more than 2 connections.
        Assert.True(sessions.Samples > 50, $"only {sessions.Samples} samples of pg_stat_activity");
        Assert.InRange(sessions.MaxBusy, 1, 2);
        Assert.InRange(sessions.MaxAdminConnections, 1, 2);
    }

    [Fact]
    public async Task Tenants_waiting_for_a_busy_server_do_not_hold_the_workers_that_tenants_of_other_servers_need()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        using var migrations = ProbeMigrations.Create();
        cluster.StartOperator(o =>
        {
            o.MaxConcurrentReconciles = 2;
            o.TenantMigrationsPath = migrations.Path;
            var busy = o.TenantDatabaseServers["default"];
            busy.MaxConcurrentOperations = 1;

            // Another name for the same PostgreSQL: a second server as far as the operator's limits go.
            o.TenantDatabaseServers["other"] = new TenantDatabaseServerOptions
            {
                Host = busy.Host,
                Port = busy.Port,
                AdminUser = busy.AdminUser,
                AdminSecretRef = busy.AdminSecretRef,
                MaxConcurrentOperations = 1,
            };
        });
        var crowd = Enumerable.Range(0, 8).Select(i => $"c{i}").ToList();
        await Task.WhenAll(crowd.Select(n => cluster.CreateTenantAsync(n, s => s.SchemaVersion = "3", _ct)));
        await cluster.CreateTenantAsync("elsewhere", s =>
        {
            s.SchemaVersion = "3";
            s.Database!.Server = "other";
        }, _ct);

        // With waiting tenants parked on the 2 workers, "elsewhere" would come after the whole crowd (each of whose
        // provisionings runs a migration that sleeps); without, it converges while most of the crowd is still in line.
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("elsewhere", _ct)), TimeSpan.FromSeconds(120), "elsewhere converged", _ct);
        var crowdConverged = (await Task.WhenAll(crowd.Select(n => cluster.GetTenantAsync(n, _ct)))).Count(OperatorTestCluster.IsConverged);
        Assert.True(crowdConverged <= 4, $"{crowdConverged} of the 8 tenants of the busy server converged before the tenant of the idle one");

        await WaitForAllAsync(cluster, crowd, OperatorTestCluster.IsConverged);
    }

    /// <summary>Waits until every named Tenant satisfies <paramref name="done"/>; true if one was seen waiting with DatabaseServerBusy.</summary>
    private async Task<bool> WaitForAllAsync(OperatorTestCluster cluster, IReadOnlyList<string> names, Func<Tenant?, bool> done)
    {
        var busySeen = false;
        Tenant?[] last = [];
        await OperatorTestCluster.WaitUntilAsync(
            async () =>
            {
                last = await Task.WhenAll(names.Select(n => cluster.GetTenantAsync(n, _ct)));
                busySeen |= last.Any(t => Conditions.Find(t?.Status.Conditions, TenantConditions.Ready)?.Reason == TenantReadyReason.DatabaseServerBusy.ToWire());
                return last.All(done);
            },
            TimeSpan.FromSeconds(180),
            () => $"all {names.Count} tenants are done; not yet: " + string.Join("; ", last.Where(t => !done(t)).Take(3)
                .Select(t => $"{t?.Metadata.Name}: {t?.Status.Phase} {Conditions.Find(t?.Status.Conditions, TenantConditions.Ready)?.Message}")),
            _ct);
        return busySeen;
    }

    private static Task<SchemaRollout> CreateRolloutAsync(OperatorTestCluster cluster, string name, CancellationToken cancellationToken)
    {
        var rollout = new SchemaRollout { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = OperatorTestCluster.TenantNamespace } };
        rollout.Spec.TargetVersion = "4";
        rollout.Spec.BatchSize = 20;
        rollout.Spec.MaxParallel = 20;
        return cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<SchemaRollout>(
            rollout, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, SchemaRollout.Plural, cancellationToken: cancellationToken);
    }

    /// <summary>The shipped migrations plus test-only V3 and V4, each of which records when it ran and sleeps meanwhile.</summary>
    private sealed class ProbeMigrations : IDisposable
    {
        private ProbeMigrations(string path) => Path = path;

        public string Path { get; }

        public static ProbeMigrations Create()
        {
            var path = Directory.CreateTempSubdirectory("limit-migrations-").FullName;
            foreach (var file in Directory.EnumerateFiles(Repository.Path("sql", "tenant"), "*.sql"))
            {
                File.Copy(file, System.IO.Path.Combine(path, System.IO.Path.GetFileName(file)));
            }

            File.WriteAllText(System.IO.Path.Combine(path, "V3__limit_probe.sql"), Probe("3", create: true));
            File.WriteAllText(System.IO.Path.Combine(path, "V4__limit_probe.sql"), Probe("4", create: false));
            return new ProbeMigrations(path);
        }

        public static async Task<Dictionary<string, List<(string Version, DateTime Started, DateTime Finished)>>> ReadAsync(
            PostgresFixture postgres, OperatorTestCluster cluster, IEnumerable<string> names, CancellationToken cancellationToken)
        {
            var probes = new Dictionary<string, List<(string, DateTime, DateTime)>>();
            foreach (var name in names)
            {
                // As the server's superuser, under a name of its own: the sampler counts only the operator's sessions.
                var settings = new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString)
                {
                    Database = cluster.DatabaseNameFor(name),
                    Pooling = false,
                    ApplicationName = "limit-test-reader",
                };
                await using var connection = new NpgsqlConnection(settings.ConnectionString);
                await connection.OpenAsync(cancellationToken);
                await using var command = new NpgsqlCommand("SELECT version, started_at, finished_at FROM public.limit_probe", connection);
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var runs = new List<(string, DateTime, DateTime)>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    runs.Add((reader.GetString(0), reader.GetDateTime(1), reader.GetDateTime(2)));
                }

                probes[name] = runs;
            }

            return probes;
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);

        private static string Probe(string version, bool create) => $"""
            -- Test-only schema version {version}: records when it ran, holding its session busy meanwhile.
            {(create ? "CREATE TABLE limit_probe (version text NOT NULL, started_at timestamptz NOT NULL, finished_at timestamptz);" : "")}
            INSERT INTO limit_probe (version, started_at) VALUES ('{version}', clock_timestamp());
            SELECT pg_sleep(0.3);
            UPDATE limit_probe SET finished_at = clock_timestamp() WHERE version = '{version}';
            """;
    }

    /// <summary>
    /// Reads pg_stat_activity in a loop on its own connection: the operator's sessions on the server (application_name
    /// controlplane-operator…) are its admin role's and those inside this test's tenant databases (owner and observer). A busy one (not idle) belongs to a
    /// running operation, each of which holds at most one connection at a time.
    /// </summary>
    private sealed class SessionSampler : IAsyncDisposable
    {
        private const string Sql = """
            SELECT count(*) FILTER (WHERE state IS DISTINCT FROM 'idle'),
                   count(*) FILTER (WHERE usename = $1)
              FROM pg_stat_activity
             WHERE starts_with(application_name, 'controlplane-operator') AND (usename = $1 OR starts_with(datname, $2))
            """;

        private readonly CancellationTokenSource _stop = new();
        private readonly Task<(int Samples, int MaxBusy, int MaxAdminConnections)> _run;

        private SessionSampler(PostgresFixture postgres, TenantServer server) => _run = Task.Run(() => SampleAsync(postgres, server, _stop.Token));

        public static SessionSampler Start(PostgresFixture postgres, TenantServer server) => new(postgres, server);

        public async Task<(int Samples, int MaxBusy, int MaxAdminConnections)> StopAsync()
        {
            await _stop.CancelAsync();
            return await _run;
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested)
            {
                await StopAsync();
            }

            _stop.Dispose();
        }

        private static async Task<(int, int, int)> SampleAsync(PostgresFixture postgres, TenantServer server, CancellationToken stop)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(postgres.AdminConnectionString) { Pooling = false }.ConnectionString);
            await connection.OpenAsync(CancellationToken.None);
            await using var command = new NpgsqlCommand(Sql, connection);
            command.Parameters.AddWithValue(server.AdminRole);
            command.Parameters.AddWithValue(server.Prefix);
            await command.PrepareAsync(CancellationToken.None);
            int samples = 0, maxBusy = 0, maxAdmin = 0;
            while (!stop.IsCancellationRequested)
            {
                await using (var reader = await command.ExecuteReaderAsync(CancellationToken.None))
                {
                    await reader.ReadAsync(CancellationToken.None);
                    maxBusy = Math.Max(maxBusy, (int)reader.GetInt64(0));
                    maxAdmin = Math.Max(maxAdmin, (int)reader.GetInt64(1));
                }

                samples++;
                await Task.Delay(5, CancellationToken.None);
            }

            return (samples, maxBusy, maxAdmin);
        }
    }
}
