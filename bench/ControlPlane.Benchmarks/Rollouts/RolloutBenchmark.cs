using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using ControlPlane.Benchmarks.Secrets;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets.Dev;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Migrations;
using ControlPlane.Store.Sql;
using ControlPlane.Store.TenantDatabases;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Benchmarks.Rollouts;

/// <summary>
/// <c>rollout [N]</c>: N tenants (default 100) migrated V2 → V3 three ways, each on a fleet of its own
/// provisioned by the real operator (in-process API server, PostgreSQL 17): baseline = the same migrations run directly
/// in a sequential loop (connect, Evolve, catalog <c>RecordMigrationAsync</c>); a SchemaRollout with maxParallel 1
/// (target ≤ 1.2× the loop) and with maxParallel 4 (target: faster than the loop). Batches are the default 10%. The loop
/// is split around the rollouts (half before, half after) so machine drift hits both sides.
/// </summary>
internal sealed class RolloutBenchmark(int count) : IBenchmark
{
    public const int DefaultCount = 100;

    private const string V3 = """
        -- Benchmark schema version 3: a realistic small change (new table, index, column, backfill-free).
        CREATE TABLE attachments (
            id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            entry_id   uuid NOT NULL REFERENCES journal_entries (id) ON DELETE CASCADE,
            file_name  text NOT NULL,
            size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        CREATE INDEX attachments_entry_idx ON attachments (entry_id);
        ALTER TABLE journal_entries ADD COLUMN reference text;
        """;

    public string Name => "rollout";

    public string Description => "SchemaRollout of N tenants (`rollout N`, default 100) with maxParallel 1 and 4 vs a direct sequential migration loop";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        await using var database = await BenchmarkDatabase.CreateAsync("bench_rollout", cancellationToken);
        Console.WriteLine($"Catalog {database.Name} on {database.Where}; {count} tenants per fleet");
        await using var catalogSource = NpgsqlDataSource.Create(database.ConnectionString);
        await CatalogMigrator.MigrateAsync(catalogSource, Path.Combine(AppContext.BaseDirectory, "sql", "control_plane"), _ => { }, cancellationToken);
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions(), cancellationToken);
        using var client = api.CreateClient();
        var migrations = WriteMigrations();
        var prefix = "bro" + Guid.NewGuid().ToString("N")[..8] + "_";
        await using var bench = await Bench.StartAsync(database, catalogSource, api, migrations, cancellationToken);
        try
        {
            string[] fleets = ["direct", "parallel1", "parallel4"];
            var provisioning = Stopwatch.StartNew();
            foreach (var fleet in fleets)
            {
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = fleet } }, cancellationToken: cancellationToken);
                await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
                    await client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(NewTenant(fleet, i, prefix), Tenant.ApiGroup, Tenant.ApiVersionName, fleet, Tenant.Plural, cancellationToken: ct));
            }

            await WaitAsync(async () => (await ListAsync(client, null, cancellationToken)).Count(t => t.Status.SchemaVersion == "2") == fleets.Length * count,
                TimeSpan.FromMinutes(10), cancellationToken);
            Console.WriteLine($"Provisioned {fleets.Length * count} tenants at V2 through the operator in {provisioning.Elapsed.TotalSeconds:F1} s.");

            // The loop runs half its tenants before the rollouts and half after, so drift of the shared machine during
            // the run weighs on the baseline as on the rollouts.
            var loop = await ListAsync(client, "direct", cancellationToken);
            var direct = await DirectLoopAsync(bench, loop[..(count / 2)], cancellationToken);
            var one = await RolloutAsync(client, "parallel1", 1, count, cancellationToken);
            var four = await RolloutAsync(client, "parallel4", 4, count, cancellationToken);
            direct += await DirectLoopAsync(bench, loop[(count / 2)..], cancellationToken);

            Console.WriteLine();
            Console.WriteLine($"{"way",-28} {"total s",9} {"ms/tenant",10} {"x loop",8}  target");
            Console.WriteLine(Row("direct sequential loop", direct, count, direct, ""));
            Console.WriteLine(Row("rollout maxParallel 1", one, count, direct, one / direct <= 1.2 ? "≤ 1.2 ok" : "≤ 1.2 OVER"));
            Console.WriteLine(Row("rollout maxParallel 4", four, count, direct, four < direct ? "< 1 ok" : "< 1 OVER"));
            var met = one / direct <= 1.2 && four < direct;
            Console.WriteLine(met ? "Result: within every target." : "Result: a target was missed (see above).");
            return met ? 0 : 1;
        }
        finally
        {
            await bench.DropTenantDatabasesAsync(prefix, CancellationToken.None);
            Directory.Delete(migrations, recursive: true);
        }
    }

    private static string Row(string way, TimeSpan elapsed, int count, TimeSpan baseline, string target) => string.Create(CultureInfo.InvariantCulture,
        $"{way,-28} {elapsed.TotalSeconds,9:F2} {elapsed.TotalMilliseconds / count,10:F1} {elapsed / baseline,8:F2}  {target}");

    /// <summary>The baseline: what a script would do, tenant after tenant, with the same migrator and catalog call.</summary>
    private static async Task<TimeSpan> DirectLoopAsync(Bench bench, List<Tenant> tenants, CancellationToken cancellationToken)
    {
        var server = bench.Lifecycle.Servers.Get("default");
        var target = SchemaVersion.Parse("3");
        var watch = Stopwatch.StartNew();
        foreach (var tenant in tenants)
        {
            var db = tenant.Status.Database!.Name!;
            var spec = new TenantDatabaseTarget(db, db, -1, Suspended: false)
            {
                Ownership = new(Guid.Parse(tenant.Status.TenantId!)),
            };
            await server.Administrator.MigrateAsync(spec, bench.Lifecycle.Migrator, target, cancellationToken);
            await bench.Lifecycle.Catalog.RecordMigrationAsync(Guid.Parse(tenant.Status.TenantId!), "2", "3", "bench", cancellationToken);
        }

        return watch.Elapsed;
    }

    private static async Task<TimeSpan> RolloutAsync(Kubernetes client, string fleet, int maxParallel, int count, CancellationToken cancellationToken)
    {
        var rollout = new SchemaRollout
        {
            Metadata = new V1ObjectMeta { Name = "to-v3", NamespaceProperty = fleet },
            Spec = new SchemaRolloutSpec { TargetVersion = "3", MaxParallel = maxParallel },
        };
        var watch = Stopwatch.StartNew();
        await client.CustomObjects.CreateNamespacedCustomObjectAsync<SchemaRollout>(rollout, Tenant.ApiGroup, Tenant.ApiVersionName, fleet, SchemaRollout.Plural, cancellationToken: cancellationToken);
        var rollouts = new KubernetesResourceClient<SchemaRollout>(client, SchemaRolloutOperator.Resource);
        await WaitAsync(async () => (await rollouts.GetAsync(fleet, "to-v3", cancellationToken))?.Status is { } s && SchemaRolloutPhases.TryParse(s.Phase, out var phase) && phase == SchemaRolloutPhase.Succeeded && s.Migrated == count,
            TimeSpan.FromMinutes(10), cancellationToken);
        return watch.Elapsed;
    }

    private static Tenant NewTenant(string fleet, int i, string prefix)
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = $"t{i:000}", NamespaceProperty = fleet } };
        tenant.Spec.Slug = $"{fleet}-t{i:000}";
        tenant.Spec.SchemaVersion = "2";
        tenant.Spec.Database = new TenantDatabaseSpec { Name = $"{prefix}{fleet}_{i:000}" };
        return tenant;
    }

    private static async Task<List<Tenant>> ListAsync(Kubernetes client, string? ns, CancellationToken cancellationToken)
    {
        var tenants = new KubernetesResourceClient<Tenant>(client, TenantOperator.Resource);
        var all = new List<Tenant>();
        string? next = null;
        do
        {
            var page = await tenants.ListAsync(ns, next, 500, cancellationToken);
            all.AddRange(page.Items);
            next = page.Continue;
        }
        while (next is not null);

        return [.. all.OrderBy(t => t.Metadata.Name, StringComparer.Ordinal)];
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > timeout)
            {
                throw new TimeoutException($"Gave up after {timeout}.");
            }

            await Task.Delay(20, cancellationToken);
        }
    }

    private static string WriteMigrations()
    {
        var folder = Directory.CreateTempSubdirectory("bench-rollout-migrations-").FullName;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "sql", "tenant"), "*.sql"))
        {
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        }

        File.WriteAllText(Path.Combine(folder, "V3__attachments.sql"), V3);
        return folder;
    }

    /// <summary>The operator as production composes it, against the benchmark's API server and PostgreSQL.</summary>
    private sealed class Bench : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly ServiceProvider _services;
        private readonly NpgsqlConnectionStringBuilder _admin;
        private Task _run = Task.CompletedTask;

        private Bench(TenantLifecycle lifecycle, ServiceProvider services, NpgsqlConnectionStringBuilder admin)
        {
            Lifecycle = lifecycle;
            _services = services;
            _admin = admin;
        }

        public TenantLifecycle Lifecycle { get; }

        public static async Task<Bench> StartAsync(
            BenchmarkDatabase database, NpgsqlDataSource catalog, KubeApiServer api, string migrations, CancellationToken cancellationToken)
        {
            var admin = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Database = "postgres", Pooling = false };
            var backend = new MockSecretBackend();
            var secrets = new BackendStore(backend);
            var adminRef = "";
            if (!string.IsNullOrEmpty(admin.Password))
            {
                adminRef = "mock:bench-admin";
                await secrets.WriteAsync(SecretReference.Parse(adminRef), new ControlPlane.Secrets.SecretValue(admin.Password), new ControlPlane.Secrets.SecretOwner("bench"), cancellationToken);
            }

            var options = new OperatorOptions
            {
                LeaderElection = new LeaderElectionOptions { Enabled = false, Identity = "bench" },
                TenantMigrationsPath = migrations,
                TenantDatabaseServers = { ["default"] = new TenantDatabaseServerOptions { Host = admin.Host!, Port = admin.Port, AdminUser = admin.Username!, AdminSecretRef = adminRef } },
            };
            var lifecycle = new TenantLifecycle(
                new TenantCatalog(catalog), secrets, slug => SecretReference.Parse($"mock:tenant-{slug}"),
                new TenantDatabaseServers(options.TenantDatabaseServers, secrets), new TenantSchemaMigrator(migrations), "controlplane-operator/bench")
            {
                // Bench Tenants never name a secretRef: no reference kind is open to them.
                Confinement = new ControlPlane.Secrets.Confinement.SecretReferenceConfinement(
                    [], new ControlPlane.Secrets.SecretReferencePlanner(Microsoft.Extensions.Options.Options.Create(new ControlPlane.Secrets.Configuration.SecretStoreOptions())), options.AdminSecretReferences()),
                Namespaces = TenantBoundaries.Namespaces(options),
            };
            var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var tenantOperator = new TenantOperator(
                KubernetesClientFactory.Create(api.ClientConfiguration()), options, TimeProvider.System,
                new OperatorMetrics(services.GetRequiredService<IMeterFactory>()), NullLoggerFactory.Instance, lifecycle: lifecycle);
            var bench = new Bench(lifecycle, services, admin);
            bench._run = Task.Run(() => tenantOperator.RunAsync(bench._stop.Token), CancellationToken.None);
            return bench;
        }

        public async Task DropTenantDatabasesAsync(string prefix, CancellationToken cancellationToken)
        {
            await using var connection = new NpgsqlConnection(_admin.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            var names = new List<string>();
            await using (var list = new NpgsqlCommand("SELECT datname FROM pg_database WHERE starts_with(datname, $1)", connection) { Parameters = { new() { Value = prefix } } })
            await using (var reader = await list.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    names.Add(reader.GetString(0));
                }
            }

            foreach (var name in names)
            {
                await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {SqlIdentifier.Quote(name)} WITH (FORCE); DROP ROLE IF EXISTS {SqlIdentifier.Quote(name)}", connection);
                await drop.ExecuteNonQueryAsync(cancellationToken);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _run;
            await Lifecycle.Servers.DisposeAsync();
            await _services.DisposeAsync();
            _stop.Dispose();
        }
    }
}
