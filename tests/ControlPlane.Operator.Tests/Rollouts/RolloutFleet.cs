using System.Diagnostics;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Npgsql;

namespace ControlPlane.Operator.Tests.Rollouts;

/// <summary>
/// A fleet of tenants provisioned at the shipped schema (V1, V2) by one operator, then handed to operators that ship a
/// test-only V3 which records when it ran in each tenant database (rollout_probe) and fails where the test put a
/// marker table. Everything asserted is read back from the world: tenant databases, the catalog, the API server.
/// </summary>
internal sealed class RolloutFleet : IAsyncDisposable
{
    public const string MarkerTable = "rollout_breaks_here";
    public const string BrokenMessage = "deliberately broken migration for this tenant";

    private const string V3 = $"""
        -- Test-only schema version 3: fails where the marker table exists, else records when it ran.
        DO $$
        BEGIN
            IF to_regclass('public.{MarkerTable}') IS NOT NULL THEN
                RAISE EXCEPTION '{BrokenMessage}';
            END IF;
        END
        $$;
        CREATE TABLE rollout_probe (started_at timestamptz NOT NULL, finished_at timestamptz);
        INSERT INTO rollout_probe (started_at) VALUES (clock_timestamp());
        SELECT pg_sleep(0.15);
        UPDATE rollout_probe SET finished_at = clock_timestamp();
        """;

    private readonly string _migrations;

    private RolloutFleet(OperatorTestCluster cluster, IReadOnlyList<string> names, string migrations)
    {
        Cluster = cluster;
        Names = names;
        _migrations = migrations;
    }

    public OperatorTestCluster Cluster { get; }

    public IReadOnlyList<string> Names { get; }

    /// <summary>Provisions <paramref name="count"/> tenants (t00, t01, …) at V2 with the shipped migrations, then stops that operator.</summary>
    public static async Task<RolloutFleet> StartAsync(
        PostgresFixture postgres, int count, CancellationToken cancellationToken, Action<string, TenantSpec>? spec = null)
    {
        var cluster = await OperatorTestCluster.StartAsync(postgres, cancellationToken);
        var names = Enumerable.Range(0, count).Select(i => $"t{i:00}").ToList();
        var shipped = cluster.StartOperator(o => o.MaxConcurrentReconciles = 8);
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, s => spec?.Invoke(name, s), cancellationToken);
        }

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var tenants = await Task.WhenAll(names.Select(n => cluster.GetTenantAsync(n, cancellationToken)));
            var behind = tenants.Where(t => !(t?.Status.SchemaVersion == "2" && t.Status.ObservedGeneration == t.Metadata.Generation
                                              && t.Status.Phase is TenantPhases.Active or TenantPhases.Suspended)).ToList();
            if (behind.Count == 0)
            {
                break;
            }

            Assert.True(DateTime.UtcNow < deadline, $"{behind.Count} of {count} tenants not provisioned at schema version 2 after 60 s: "
                + string.Join("; ", behind.Take(3).Select(t => $"{t?.Metadata.Name}: {t?.Status.Phase} {Conditions.Find(t?.Status.Conditions, TenantConditions.Ready)?.Message}")));
            await Task.Delay(100, cancellationToken);
        }
        await shipped.StopAsync();

        var migrations = Directory.CreateTempSubdirectory("rollout-migrations-").FullName;
        foreach (var file in Directory.EnumerateFiles(Repository.Path("sql", "tenant"), "*.sql"))
        {
            File.Copy(file, Path.Combine(migrations, Path.GetFileName(file)));
        }

        await File.WriteAllTextAsync(Path.Combine(migrations, "V3__rollout_probe.sql"), V3, cancellationToken);
        return new RolloutFleet(cluster, names, migrations);
    }

    /// <summary>An operator that ships V3 (the fleet stays at V2 until a rollout raises it).</summary>
    public RunningOperator StartOperator(string identity = "test", bool electLeader = false) => Cluster.StartOperator(o =>
    {
        o.TenantMigrationsPath = _migrations;
        o.LeaderElection.Identity = identity;
        if (electLeader)
        {
            o.LeaderElection.Enabled = true;
            o.LeaderElection.LeaseDuration = TimeSpan.FromSeconds(2);
            o.LeaderElection.RenewDeadline = TimeSpan.FromSeconds(1.5);
            o.LeaderElection.RetryPeriod = TimeSpan.FromMilliseconds(250);
        }
    });

    /// <summary>Makes V3 fail in this tenant's database.</summary>
    public async Task BreakAsync(string name, CancellationToken cancellationToken)
    {
        await using var connection = await OpenTenantDatabaseAsync(name, cancellationToken);
        await using var command = new NpgsqlCommand($"CREATE TABLE public.{MarkerTable} ()", connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<SchemaRollout> CreateRolloutAsync(string name, Action<SchemaRolloutSpec> spec, CancellationToken cancellationToken)
    {
        var rollout = new SchemaRollout { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = OperatorTestCluster.TenantNamespace } };
        rollout.Spec.TargetVersion = "3";
        spec(rollout.Spec);
        return await Cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<SchemaRollout>(
            rollout, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, SchemaRollout.Plural, cancellationToken: cancellationToken);
    }

    public Task<SchemaRollout?> GetRolloutAsync(string name, CancellationToken cancellationToken) =>
        new KubernetesResourceClient<SchemaRollout>(Cluster.Client, SchemaRolloutOperator.Resource).GetAsync(OperatorTestCluster.TenantNamespace, name, cancellationToken);

    /// <summary>Changes the rollout's spec with a fresh read, retrying on 409 as kubectl edit would.</summary>
    public async Task UpdateRolloutAsync(string name, Action<SchemaRolloutSpec> change, CancellationToken cancellationToken)
    {
        var client = new KubernetesResourceClient<SchemaRollout>(Cluster.Client, SchemaRolloutOperator.Resource);
        while (true)
        {
            var rollout = (await client.GetAsync(OperatorTestCluster.TenantNamespace, name, cancellationToken))!;
            change(rollout.Spec);
            try
            {
                await client.ReplaceAsync(rollout, cancellationToken);
                return;
            }
            catch (Exception e) when (ApiErrors.IsConflict(e))
            {
            }
        }
    }

    public async Task<SchemaRollout> WaitForPhaseAsync(string name, SchemaRolloutPhase phase, CancellationToken cancellationToken, int seconds = 120)
    {
        SchemaRollout? rollout = null;
        await OperatorTestCluster.WaitUntilAsync(
            async () => (rollout = await GetRolloutAsync(name, cancellationToken))?.Status.Phase == phase.ToWire(),
            TimeSpan.FromSeconds(seconds),
            () => $"rollout {name} is {phase.ToWire()} (last seen phase {rollout?.Status.Phase ?? "none"}, migrated {rollout?.Status.Migrated}, failed {rollout?.Status.Failed}, " +
                  $"progressing: {Conditions.Find(rollout?.Status.Conditions, SchemaRolloutConditions.Progressing)?.Message})",
            cancellationToken);
        return rollout!;
    }

    /// <summary>Tenant names in the order their catalog <c>migrated</c> event to <paramref name="version"/> was written.</summary>
    public async Task<List<string>> MigratedInOrderAsync(string version, CancellationToken cancellationToken) =>
        await CatalogNamesAsync(
            """
            SELECT t.slug FROM control_plane.tenant_events e JOIN control_plane.tenants t ON t.id = e.tenant_id
             WHERE e.event_type = 'migrated' AND e.payload ->> 'to' = $1 ORDER BY e.created_at, e.id
            """, version, cancellationToken);

    /// <summary>Tenant names with an <c>error</c> event whose message contains <paramref name="text"/>, one per event.</summary>
    public async Task<List<string>> ErrorsContainingAsync(string text, CancellationToken cancellationToken) =>
        await CatalogNamesAsync(
            """
            SELECT t.slug FROM control_plane.tenant_events e JOIN control_plane.tenants t ON t.id = e.tenant_id
             WHERE e.event_type = 'error' AND strpos(e.payload ->> 'message', $1) > 0 ORDER BY t.slug
            """, text, cancellationToken);

    /// <summary>When V3 ran in each tenant database that has run it (one row per run).</summary>
    public async Task<Dictionary<string, List<(DateTime Started, DateTime Finished)>>> ProbesAsync(CancellationToken cancellationToken)
    {
        var probes = new Dictionary<string, List<(DateTime, DateTime)>>();
        foreach (var name in Names)
        {
            await using var connection = await OpenTenantDatabaseAsync(name, cancellationToken);
            await using var command = new NpgsqlCommand(
                "SELECT started_at, finished_at FROM public.rollout_probe", connection);
            try
            {
                await using var reader = await command.ExecuteReaderAsync(cancellationToken);
                var runs = new List<(DateTime, DateTime)>();
                while (await reader.ReadAsync(cancellationToken))
                {
                    runs.Add((reader.GetDateTime(0), reader.GetDateTime(1)));
                }

                probes[name] = runs;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                probes[name] = [];
            }
        }

        return probes;
    }

    /// <summary>`kubectl get …` in the tenants namespace through a kubeconfig for the in-process API server; null without kubectl.</summary>
    public async Task<string?> KubectlGetAsync(string resource, CancellationToken cancellationToken)
    {
        var kubectl = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(p => Path.Combine(p, "kubectl")).FirstOrDefault(File.Exists);
        if (kubectl is null)
        {
            return null;
        }

        var home = Directory.CreateTempSubdirectory("rollout-kubectl-").FullName;
        try
        {
            var kubeconfig = Path.Combine(home, "kubeconfig");
            Cluster.Server.WriteKubeconfig(kubeconfig);
            var start = new ProcessStartInfo(kubectl) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(home, "cache"), "get", resource, "-n", OperatorTestCluster.TenantNamespace })
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = await process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            Assert.True(process.ExitCode == 0, errors);
            return output;
        }
        finally
        {
            Directory.Delete(home, recursive: true);
        }
    }

    /// <summary>The largest number of V3 runs that overlapped in time.</summary>
    public static int MaxOverlap(IEnumerable<(DateTime Started, DateTime Finished)> runs)
    {
        var edges = runs.SelectMany(r => new[] { (r.Started, +1), (r.Finished, -1) }).OrderBy(e => e.Item1).ThenBy(e => e.Item2);
        int current = 0, max = 0;
        foreach (var (_, delta) in edges)
        {
            current += delta;
            max = Math.Max(max, current);
        }

        return max;
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            Directory.Delete(_migrations, recursive: true);
        }
        catch (IOException)
        {
        }

        return Cluster.DisposeAsync();
    }

    private async Task<List<string>> CatalogNamesAsync(string sql, string parameter, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(Cluster.CatalogConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection) { Parameters = { new() { Value = parameter } } };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var names = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
        {
            names.Add(reader.GetString(0));
        }

        return names;
    }

    /// <summary>The tenant database with its owner role's rights (the admin may SET ROLE to it; the test plays the tenant's owner).</summary>
    private async Task<NpgsqlConnection> OpenTenantDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        var database = Cluster.DatabaseNameFor(name);
        var settings = Cluster.TenantServer.AdminConnection(database);
        settings.Pooling = false;
        var connection = new NpgsqlConnection(settings.ConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var setRole = new NpgsqlCommand($"SET ROLE \"{database}_owner\"", connection);
        await setRole.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }
}
