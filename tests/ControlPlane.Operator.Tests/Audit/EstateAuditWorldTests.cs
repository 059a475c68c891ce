using System.Diagnostics.Metrics;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Audit;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Operator.Tests.Lifecycle;
using ControlPlane.Runtime;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Operator.Tests.Audit;

/// <summary>
/// The estate audit end to end: 50 tenants provisioned by the real operator on PostgreSQL 17 through the in-process API
/// server audit clean; then each kind of orphan and mismatch is made by hand (SQL as the servers' admins, catalog
/// updates, Tenant and Secret edits) and the audit finds exactly those, the periodic auditor records them once.
/// </summary>
public sealed class EstateAuditWorldTests(PostgresFixture postgres)
{
    private const int FleetSize = 50;
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_healthy_fleet_of_50_audits_clean_and_each_orphan_and_mismatch_made_by_hand_is_found_exactly()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var world = new LifecycleWorld(cluster, postgres);
        var running = cluster.StartOperator();
        var names = Enumerable.Range(0, FleetSize).Select(i => $"f{i:D2}").ToList();
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        await cluster.CreateTenantAsync("retired", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await Task.WhenAll(names.Append("retired").Select(n => cluster.GetTenantAsync(n, _ct)))).All(OperatorTestCluster.IsConverged),
            TimeSpan.FromMinutes(6), "the fleet converged", _ct);
        await cluster.DeleteTenantAsync("retired", _ct);
        await world.WaitForGoneAsync("retired", 120);
        await running.StopAsync();

        // A second server (the same PostgreSQL through another port, with an admin of its own) and one that is down.
        await using var gate = await TcpGate.StartAsync(cluster.TenantServerEndpoint, _ct);
        gate.Open();
        var second = await TenantServer.CreateAsync(postgres, _ct);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "tenant-server-second" }, StringData = new Dictionary<string, string> { ["password"] = second.AdminPassword } },
            OperatorTestCluster.OperatorNamespace, cancellationToken: _ct);
        var options = cluster.DefaultOptions();
        options.TenantDatabaseServers["second"] = new TenantDatabaseServerOptions
        {
            Host = "127.0.0.1",
            Port = gate.Port,
            AdminUser = second.AdminRole,
            AdminSecretRef = $"k8s:{OperatorTestCluster.OperatorNamespace}/tenant-server-second#password",
        };
        await using var audit = AuditWorld.Create(cluster, options);

        var healthy = EstateAudit.Compare(await audit.Observer.ObserveAsync(_ct));

        var retired = (await world.CatalogRowsAsync("retired")).Single().Id;
        var retiredDatabase = cluster.DatabaseNameFor("retired");
        Assert.Equal(
            Sorted(
                (AuditFindingKinds.RetainedData, $"database {retiredDatabase} on server default"),
                (AuditFindingKinds.RetainedData, $"role {retiredDatabase} on server default"),
                (AuditFindingKinds.RetainedData, $"role {retiredDatabase}_owner on server default"),
                (AuditFindingKinds.RetainedData, $"secret k8s:{OperatorTestCluster.SecretNamespace}/tenant-retired-db#password")),
            Kinds(healthy));
        Assert.All(healthy.Findings, f => Assert.Equal(retired, f.TenantId));
        Assert.True(healthy.Clean);
        Assert.Equal((FleetSize, 1, 2, FleetSize, null), (healthy.LiveRows, healthy.DeletedRows, healthy.Servers, healthy.Tenants, healthy.NotChecked));

        // By hand, one of each.
        var id = new Dictionary<string, Guid>();
        foreach (var name in names.Take(10))
        {
            id[name] = (await world.CatalogRowsAsync(name)).Single().Id;
        }

        string Db(string name) => cluster.DatabaseNameFor(name);
        var lost = cluster.TenantServer.Prefix + "lost";
        var stranger = Guid.NewGuid();
        await using (var admin = NpgsqlDataSource.Create(cluster.TenantServer.AdminConnection().ConnectionString))
        {
            await ExecuteAsync(admin,
                $"CREATE DATABASE {lost}",
                $"COMMENT ON DATABASE {lost} IS '{OwnershipMark.For(stranger)}'",
                $"CREATE ROLE {lost}_role NOLOGIN",
                $"COMMENT ON ROLE {lost}_role IS '{OwnershipMark.For(stranger)}'",
                $"DROP DATABASE {Db("f01")} WITH (FORCE)",
                $"COMMENT ON ROLE {Db("f02")} IS NULL",
                $"ALTER DATABASE {Db("f04")} RENAME TO {Db("f04")}_renamed",
                $"COMMENT ON DATABASE {Db("f05")} IS NULL");
        }

        await using (var secondAdmin = NpgsqlDataSource.Create(second.AdminConnection().ConnectionString))
        {
            await ExecuteAsync(secondAdmin,
                $"CREATE DATABASE {Db("f03")}_copy",
                $"COMMENT ON DATABASE {Db("f03")}_copy IS '{OwnershipMark.For(id["f03"])}'");
        }

        await using (var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString))
        {
            await ExecuteAsync(catalog, $"UPDATE control_plane.tenants SET db_port = 2 WHERE id = '{id["f06"]}'");
        }

        await ForceRemoveTenantAsync(cluster, "f07");
        var tenants = new KubernetesResourceClient<Tenant>(cluster.Client, TenantOperator.Resource);
        await cluster.CreateTenantAsync("phantom", cancellationToken: _ct);
        await WriteStatusAsync(tenants, "phantom", t => (t.Status.TenantId, t.Status.Phase) = (Guid.NewGuid().ToString(), TenantPhases.Active));
        await WriteStatusAsync(tenants, "f08", t => t.Status.Phase = TenantPhases.Suspended);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = "tenant-ghost-db", Labels = new Dictionary<string, string> { [KubernetesSecretLabels.ManagedByKey] = KubernetesSecretLabels.ManagedBy } },
                StringData = new Dictionary<string, string> { ["password"] = "left-behind" },
            },
            OperatorTestCluster.SecretNamespace, cancellationToken: _ct);
        await cluster.Client.CoreV1.DeleteNamespacedSecretAsync("tenant-f09-db", OperatorTestCluster.SecretNamespace, cancellationToken: _ct);
        options.TenantDatabaseServers["gone"] = new TenantDatabaseServerOptions { Host = "127.0.0.1", Port = 1, AdminUser = "nobody", AdminSecretRef = "" };
        await using var meddled = AuditWorld.Create(cluster, options);

        var report = EstateAudit.Compare(await meddled.Observer.ObserveAsync(_ct));

        var expected = Sorted(
            (AuditFindingKinds.DatabaseWithoutRow, $"database {lost} on server default"),
            (AuditFindingKinds.RoleWithoutRow, $"role {lost}_role on server default"),
            (AuditFindingKinds.RowWithoutDatabase, $"database {Db("f01")} on server default"),
            (AuditFindingKinds.RowWithoutRole, $"role {Db("f02")} on server default"),
            (AuditFindingKinds.OnOtherServer, $"database {Db("f03")}_copy on server second"),
            (AuditFindingKinds.NameMismatch, $"database {Db("f04")}_renamed on server default"),
            (AuditFindingKinds.UnmarkedDatabase, $"database {Db("f05")} on server default"),
            (AuditFindingKinds.RowOnUnknownServer, "row f06"),
            (AuditFindingKinds.StatusMismatch, $"Tenant {OperatorTestCluster.TenantNamespace}/f06"),
            (AuditFindingKinds.RowWithoutTenant, "row f07"),
            (AuditFindingKinds.TenantWithoutRow, $"Tenant {OperatorTestCluster.TenantNamespace}/phantom"),
            (AuditFindingKinds.StatusMismatch, $"Tenant {OperatorTestCluster.TenantNamespace}/f08"),
            (AuditFindingKinds.SecretWithoutTenant, $"secret k8s:{OperatorTestCluster.SecretNamespace}/tenant-ghost-db#password"),
            (AuditFindingKinds.RowWithoutSecret, $"secret k8s:{OperatorTestCluster.SecretNamespace}/tenant-f09-db#password"),
            (AuditFindingKinds.ServerUnreachable, "server gone"),
            (AuditFindingKinds.RetainedData, $"database {retiredDatabase} on server default"),
            (AuditFindingKinds.RetainedData, $"role {retiredDatabase} on server default"),
            (AuditFindingKinds.RetainedData, $"role {retiredDatabase}_owner on server default"),
            (AuditFindingKinds.RetainedData, $"secret k8s:{OperatorTestCluster.SecretNamespace}/tenant-retired-db#password"));
        Assert.Equal(expected, Kinds(report));
        Assert.False(report.Clean);
        Assert.Equal(1, Commands.AuditCommand.ExitCodeOf(report));
        foreach (var (name, kind) in new[]
                 {
                     ("f01", AuditFindingKinds.RowWithoutDatabase), ("f02", AuditFindingKinds.RowWithoutRole), ("f03", AuditFindingKinds.OnOtherServer),
                     ("f04", AuditFindingKinds.NameMismatch), ("f05", AuditFindingKinds.UnmarkedDatabase), ("f06", AuditFindingKinds.RowOnUnknownServer),
                     ("f07", AuditFindingKinds.RowWithoutTenant), ("f08", AuditFindingKinds.StatusMismatch), ("f09", AuditFindingKinds.RowWithoutSecret),
                 })
        {
            Assert.Equal(id[name], Assert.Single(report.Findings, f => f.Kind == kind && f.Subject.Contains(name, StringComparison.Ordinal)).TenantId);
        }

        // Nothing was changed by the audit: the dropped database is still gone, the stray one still there, the Secret still missing.
        Assert.False(await world.DatabaseExistsAsync(Db("f01")));
        Assert.True(await world.DatabaseExistsAsync(lost));
        Assert.Null(await world.GeneratedPasswordAsync("f09"));

        // The periodic auditor: a finding counts once two audits agree, is recorded once on its row, and never twice.
        var auditor = meddled.Auditor();
        var first = await auditor.RunOnceAsync(_ct);
        Assert.Empty(first.Findings);
        Assert.DoesNotContain(await world.EventsAsync(id["f01"]), e => e.Type == CatalogEventType.AuditFinding.ToWire());
        var confirmed = await auditor.RunOnceAsync(_ct);
        await auditor.RunOnceAsync(_ct);

        Assert.Equal(expected, Kinds(confirmed));
        var recorded = Assert.Single(await world.EventsAsync(id["f01"]), e => e.Type == CatalogEventType.AuditFinding.ToWire());
        Assert.Contains($"\"kind\": \"{AuditFindingKinds.RowWithoutDatabase}\"", recorded.Payload, StringComparison.Ordinal);
        Assert.Equal("controlplane-operator/test", recorded.Actor);
        Assert.Equal(4, (await world.EventsAsync(retired)).Count(e => e.Type == CatalogEventType.AuditFinding.ToWire()));
        Assert.Equal(2, meddled.Metrics.Findings[AuditFindingKinds.StatusMismatch]);
        Assert.Equal(1, meddled.Metrics.Findings[AuditFindingKinds.SecretWithoutTenant]);
        Assert.Equal(1, meddled.Metrics.Findings[AuditFindingKinds.RoleWithoutRow]);
        Assert.DoesNotContain("left-behind", await world.CatalogDumpAsync(), StringComparison.Ordinal);
    }

    private static List<(string, string)> Sorted(params (string Kind, string Subject)[] findings) =>
        [.. findings.OrderBy(f => f.Kind, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal)];

    private static List<(string, string)> Kinds(AuditReport report) => [.. report.Findings.Select(f => (f.Kind, f.Subject))];

    private async Task ExecuteAsync(NpgsqlDataSource source, params string[] statements)
    {
        foreach (var sql in statements)
        {
            await using var command = source.CreateCommand(sql);
            await command.ExecuteNonQueryAsync(_ct);
        }
    }

    /// <summary>A Tenant removed behind the operator's back: deleted, and its finalizer taken off by hand.</summary>
    private async Task ForceRemoveTenantAsync(OperatorTestCluster cluster, string name)
    {
        await cluster.DeleteTenantAsync(name, _ct);
        var tenant = (await cluster.GetTenantAsync(name, _ct))!;
        tenant.Metadata.Finalizers = [];
        await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, name, cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(async () => await cluster.GetTenantAsync(name, _ct) is null, TimeSpan.FromSeconds(30), $"{name} gone", _ct);
    }

    /// <summary>Rewrites a Tenant's status by hand, as current for its generation.</summary>
    private async Task WriteStatusAsync(KubernetesResourceClient<Tenant> tenants, string name, Action<Tenant> change)
    {
        var tenant = (await tenants.GetAsync(OperatorTestCluster.TenantNamespace, name, _ct))!;
        change(tenant);
        tenant.Status.ObservedGeneration = tenant.Metadata.Generation;
        await tenants.ReplaceStatusAsync(tenant, _ct);
    }

    /// <summary>The audit assembled as the command assembles it (Tenants by LIST), over the given servers.</summary>
    private sealed class AuditWorld : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly TenantDatabaseServers _servers;
        private readonly NpgsqlDataSource _catalog;

        private AuditWorld(ServiceProvider services, TenantDatabaseServers servers, NpgsqlDataSource catalog, EstateObserver observer)
        {
            (_services, _servers, _catalog, Observer) = (services, servers, catalog, observer);
            Metrics = new EstateAuditMetrics(services.GetRequiredService<IMeterFactory>());
        }

        public EstateObserver Observer { get; }

        public EstateAuditMetrics Metrics { get; }

        public static AuditWorld Create(OperatorTestCluster cluster, OperatorOptions options)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "dev",
                ["SECRET_MANAGER_BACKEND"] = "k8s",
                ["SECRET_KUBERNETES_NAMESPACE"] = OperatorTestCluster.SecretNamespace,
            }).Build();
            var kubernetes = cluster.CreateOperatorClient();
            var services = new ServiceCollection().AddLogging().AddMetrics().AddSingleton(kubernetes).AddSecretStores(configuration).BuildServiceProvider();
            var secrets = services.GetRequiredService<ISecretStore>();
            var servers = new TenantDatabaseServers(options.TenantDatabaseServers, secrets);
            var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
            var observer = EstateAudits.Observer(
                new TenantCatalog(catalog), servers, secrets, TenantBoundaries.Namespaces(options),
                EstateObserver.Listing(new KubernetesResourceClient<Tenant>(kubernetes, TenantOperator.Resource), options.Namespaces),
                services, kubernetes);
            return new AuditWorld(services, servers, catalog, observer);
        }

        public EstateAuditor Auditor() =>
            new(Observer, new TenantCatalog(_catalog), Metrics, "controlplane-operator/test", NullLogger<EstateAuditor>.Instance);

        public async ValueTask DisposeAsync()
        {
            await _servers.DisposeAsync();
            await _catalog.DisposeAsync();
            await _services.DisposeAsync();
        }
    }
}
