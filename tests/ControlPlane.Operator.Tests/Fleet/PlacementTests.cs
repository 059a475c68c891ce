using System.Diagnostics;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using k8s;

namespace ControlPlane.Operator.Tests.Fleet;

/// <summary>
/// Placement across three real PostgreSQL 17 servers, declared as TenantDatabaseServer resources against the
/// in-process API server, with the real operator: spread, draining, selector, full fleet, restarts and status loss,
/// deletion refused while tenants live on a server, and a server added at runtime by <c>kubectl apply</c>.
/// </summary>
public sealed class PlacementTests(PostgresFixture postgres, FleetServers servers) : IClassFixture<FleetServers>, IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(180);

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("fleet-placement-").FullName;
    private RunningOperator? _operator;

    [Fact]
    public async Task Thirty_tenants_without_a_server_spread_ten_ten_ten_and_a_draining_server_then_gets_none()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var fleet = await StartFleetAsync(cluster, [0, 1, 2]);

        var names = Enumerable.Range(0, 30).Select(i => $"spread-{i:D2}").ToList();
        await Task.WhenAll(names.Select(n => cluster.CreateTenantAsync(n, cancellationToken: _ct)));
        await WaitConvergedAsync(cluster, names);

        Assert.Equal(new Dictionary<string, int> { ["pg-a"] = 10, ["pg-b"] = 10, ["pg-c"] = 10 }, await fleet.CatalogPlacementAsync(_ct));
        int[] databases = [await fleet.DatabasesOnAsync(0, postgres, _ct), await fleet.DatabasesOnAsync(1, postgres, _ct), await fleet.DatabasesOnAsync(2, postgres, _ct)];
        Assert.Equal(new[] { 10, 10, 10 }, databases);
        var placed = await Task.WhenAll(names.Select(n => cluster.GetTenantAsync(n, _ct)));
        Assert.All(placed, t => Assert.Contains(t!.Status.Database!.Server, Fleet.Names));

        // pg-c drains: the next four go to pg-a and pg-b, two each, and pg-c keeps its ten.
        await fleet.UpdateAsync("pg-c", s => s.Draining = true, _ct);
        await WaitUntilAsync(async () => (await fleet.GetAsync("pg-c", _ct))!.Status.ObservedGeneration == 2, "pg-c observed as draining");
        var more = Enumerable.Range(0, 4).Select(i => $"late-{i}").ToList();
        foreach (var name in more)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
        }

        await WaitConvergedAsync(cluster, more);
        Assert.Equal(new Dictionary<string, int> { ["pg-a"] = 12, ["pg-b"] = 12, ["pg-c"] = 10 }, await fleet.CatalogPlacementAsync(_ct));
        Assert.Equal(10, await fleet.DatabasesOnAsync(2, postgres, _ct));
        await WaitUntilAsync(async () => (await fleet.GetAsync("pg-c", _ct))!.Status.TenantsPlaced == 10, "pg-c reports 10 tenants placed");
    }

    [Fact]
    public async Task A_selector_is_honoured_and_a_full_fleet_leaves_the_tenant_pending_until_capacity_is_added()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        Action<TenantDatabaseServerResource> europe = s => { s.Metadata.Labels = new Dictionary<string, string> { ["region"] = "eu" }; s.Spec.MaxTenants = 2; };
        Action<TenantDatabaseServerResource> america = s => s.Metadata.Labels = new Dictionary<string, string> { ["region"] = "us" };
        var fleet = await StartFleetAsync(cluster, [0, 1], index => index == 0 ? europe : america);
        Action<TenantSpec> eu = s => s.Database!.ServerSelector = new TenantServerSelector { MatchLabels = new Dictionary<string, string> { ["region"] = "eu" } };

        // pg-b is emptier, but only pg-a carries region=eu.
        await cluster.CreateTenantAsync("eu-1", eu, _ct);
        await cluster.CreateTenantAsync("eu-2", eu, _ct);
        await WaitConvergedAsync(cluster, ["eu-1", "eu-2"]);
        Assert.Equal(new Dictionary<string, int> { ["pg-a"] = 2 }, await fleet.CatalogPlacementAsync(_ct));

        // pg-a is full (2/2) and pg-b does not match: pending, with a reason that says so and no trace anywhere.
        await cluster.CreateTenantAsync("eu-3", eu, _ct);
        await WaitUntilAsync(async () => Ready(await cluster.GetTenantAsync("eu-3", _ct))?.Reason == TenantReadyReason.NoServerAvailable.ToWire(), "eu-3 is pending");
        var pending = Ready(await cluster.GetTenantAsync("eu-3", _ct))!;
        Assert.Equal("False", pending.Status);
        Assert.Equal("No tenant database server takes new tenants: pg-a is full (2/2 tenants); pg-b does not match spec.database.serverSelector.", pending.Message);
        Assert.Equal(new Dictionary<string, int> { ["pg-a"] = 2 }, await fleet.CatalogPlacementAsync(_ct));
        Assert.Equal(2, await fleet.DatabasesOnAsync(0, postgres, _ct));

        // Capacity added to the matching server: the pending tenant is placed there without being touched.
        await fleet.UpdateAsync("pg-a", s => s.MaxTenants = 3, _ct);
        await WaitConvergedAsync(cluster, ["eu-3"]);
        Assert.Equal("pg-a", (await cluster.GetTenantAsync("eu-3", _ct))!.Status.Database!.Server);
        Assert.Equal(new Dictionary<string, int> { ["pg-a"] = 3 }, await fleet.CatalogPlacementAsync(_ct));
    }

    [Fact]
    public async Task Placement_survives_an_operator_restart_and_the_loss_of_status()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var fleet = await StartFleetAsync(cluster, [0, 1]);
        await cluster.CreateTenantAsync("keeper", cancellationToken: _ct);
        await WaitConvergedAsync(cluster, ["keeper"]);
        var first = (await cluster.GetTenantAsync("keeper", _ct))!;
        Assert.Equal("pg-a", first.Status.Database!.Server);

        // pg-a drains, so a fresh choice would now be pg-b; the tenant must stay where it is.
        await fleet.UpdateAsync("pg-a", s => s.Draining = true, _ct);
        await _operator!.StopAsync();
        var restarted = cluster.StartOperator(o => o.TenantDatabaseServers.Clear());
        await fleet.WaitReadyAsync("pg-b", _ct);
        await WaitUntilAsync(async () => (await fleet.GetAsync("pg-a", _ct))!.Status.ObservedGeneration == 2, "pg-a observed as draining");

        // Status lost (a restore, a re-created object): rebuilt from the catalog, not placed again.
        var lost = (await cluster.GetTenantAsync("keeper", _ct))!;
        lost.Status = new TenantStatus();
        await cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(
            lost, Tenant.ApiGroup, Tenant.ApiVersionName, OperatorTestCluster.TenantNamespace, Tenant.Plural, "keeper", cancellationToken: _ct);
        restarted.Operator.Controller.Queue.Add(new ResourceKey(OperatorTestCluster.TenantNamespace, "keeper"));
        await WaitConvergedAsync(cluster, ["keeper"]);

        var rebuilt = (await cluster.GetTenantAsync("keeper", _ct))!;
        Assert.Equal("pg-a", rebuilt.Status.Database!.Server);
        Assert.Equal(first.Status.TenantId, rebuilt.Status.TenantId);
        Assert.Equal(new Dictionary<string, int> { ["pg-a"] = 1 }, await fleet.CatalogPlacementAsync(_ct));
        Assert.Equal(0, await fleet.DatabasesOnAsync(1, postgres, _ct));
    }

    [Fact]
    public async Task A_server_with_live_tenants_refuses_deletion_until_they_are_gone()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var fleet = await StartFleetAsync(cluster, [0]);
        await cluster.CreateTenantAsync("resident", s => s.DeletionPolicy = DeletionPolicies.Delete, _ct);
        await WaitConvergedAsync(cluster, ["resident"]);
        var ready = (await fleet.GetAsync("pg-a", _ct))!;
        Assert.True(ready.Status.Reachable);
        Assert.True(ready.Status.AdminPrivilegesVerified);
        Assert.StartsWith("17.", ready.Status.PostgresVersion, StringComparison.Ordinal);

        await cluster.Client.CustomObjects.DeleteClusterCustomObjectAsync(
            Tenant.ApiGroup, Tenant.ApiVersionName, TenantDatabaseServerResource.Plural, "pg-a", cancellationToken: _ct);
        await WaitUntilAsync(async () => Ready(await fleet.GetAsync("pg-a", _ct))?.Reason == TenantDatabaseServerReadyReason.DeletionBlocked.ToWire(), "pg-a deletion blocked");
        var blocked = (await fleet.GetAsync("pg-a", _ct))!;
        Assert.Equal(1, blocked.Status.TenantsPlaced);
        Assert.StartsWith("1 live tenants are placed on this server", Ready(blocked)!.Message, StringComparison.Ordinal);

        // The tenant still lives (its deletion cleans up on the server being deleted), and then the server goes.
        await cluster.DeleteTenantAsync("resident", _ct);
        await WaitUntilAsync(async () => await fleet.GetAsync("pg-a", _ct) is null, "pg-a is deleted");
        Assert.Equal(0, await fleet.DatabasesOnAsync(0, postgres, _ct));
    }

    [Fact]
    public async Task Adding_a_server_is_kubectl_apply_of_one_manifest_with_no_restart()
    {
        Assert.SkipWhen(!OnPath("kubectl"), "kubectl is not on PATH");
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        var fleet = new Fleet(cluster, servers);
        await fleet.InstallSecretAsync(_ct);
        cluster.StartOperator(o => o.TenantDatabaseServers.Clear());

        await cluster.CreateTenantAsync("early", cancellationToken: _ct);
        await WaitUntilAsync(async () => Ready(await cluster.GetTenantAsync("early", _ct))?.Reason == TenantReadyReason.NoServerAvailable.ToWire(), "early is pending");

        // The same running operator: one manifest applied with kubectl.
        var manifest = Path.Combine(_directory, "server.json");
        await File.WriteAllTextAsync(manifest, KubernetesJson.Serialize(fleet.Manifest(1)), _ct);
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        cluster.Server.WriteKubeconfig(kubeconfig);
        var (exitCode, output) = await KubectlAsync(kubeconfig, "apply", "-f", manifest);
        Assert.True(exitCode == 0, output);

        await WaitConvergedAsync(cluster, ["early"]);
        Assert.Equal("pg-b", (await cluster.GetTenantAsync("early", _ct))!.Status.Database!.Server);
        Assert.Equal(1, await fleet.DatabasesOnAsync(1, postgres, _ct));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>An operator with no bootstrap server, and the given servers applied as resources and Ready.</summary>
    private async Task<Fleet> StartFleetAsync(OperatorTestCluster cluster, int[] indexes, Func<int, Action<TenantDatabaseServerResource>?>? change = null)
    {
        var fleet = new Fleet(cluster, servers);
        await fleet.InstallSecretAsync(_ct);
        foreach (var index in indexes)
        {
            await fleet.ApplyAsync(index, change?.Invoke(index), _ct);
        }

        _operator = cluster.StartOperator(o => o.TenantDatabaseServers.Clear());
        foreach (var index in indexes)
        {
            await fleet.WaitReadyAsync(Fleet.Names[index], _ct);
        }

        return fleet;
    }

    private async Task WaitConvergedAsync(OperatorTestCluster cluster, IReadOnlyList<string> names)
    {
        var last = "";
        await OperatorTestCluster.WaitUntilAsync(async () =>
        {
            var tenants = await Task.WhenAll(names.Select(n => cluster.GetTenantAsync(n, _ct)));
            var behind = tenants.Where(t => !OperatorTestCluster.IsConverged(t)).ToList();
            last = string.Join("; ", behind.Take(3).Select(t => $"{t?.Metadata.Name}: {Ready(t)?.Reason} {Ready(t)?.Message}"));
            return behind.Count == 0;
        }, Generous, () => $"{names.Count} tenants converge (still behind: {last})", _ct);
    }

    private Task WaitUntilAsync(Func<Task<bool>> condition, string what) =>
        OperatorTestCluster.WaitUntilAsync(condition, Generous, what, _ct);

    private static k8s.Models.V1Condition? Ready(Tenant? tenant) => Conditions.Find(tenant?.Status.Conditions, TenantConditions.Ready);

    private static k8s.Models.V1Condition? Ready(TenantDatabaseServerResource? server) => Conditions.Find(server?.Status.Conditions, TenantDatabaseServerConditions.Ready);

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(dir => File.Exists(Path.Combine(dir, tool)));

    private static async Task<(int ExitCode, string Output)> KubectlAsync(string kubeconfig, params string[] arguments)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfig);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await errors);
    }
}
