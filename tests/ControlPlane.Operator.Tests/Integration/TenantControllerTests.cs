using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Testing;
using k8s;
using k8s.Autorest;

namespace ControlPlane.Operator.Tests.Integration;

public sealed class TenantControllerTests(PostgresFixture postgres)
{
    private const string TenantsPath = "/apis/controlplane.econt.io/v1alpha1/*tenants*";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Every_tenant_converges_although_watches_are_dropped_and_history_compacted_throughout()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);

        // Every request, the operator's and the test's, waits 250 ms first: a slow API server on a busy node.
        cluster.Server.Latency = TimeSpan.FromMilliseconds(250);
        cluster.StartOperator();
        using var chaos = new CancellationTokenSource();
        var armed = 0;
        var faults = Task.Run(async () =>
        {
            for (var i = 0; !chaos.IsCancellationRequested; i++)
            {
                // Drop the streams, hold the re-watch back one failed attempt, and compact meanwhile: the re-watch
                // then starts from a resourceVersion the server has forgotten (410) whenever anything was written.
                // A new watch fault is armed only once the last one was used (a watch arrived since): armed faults
                // that pile up while the operator backs off would refuse every watch for ever longer.
                var watches = cluster.Server.CountRequests("watch", TenantsPath);
                if (watches > armed)
                {
                    armed = watches;
                    cluster.Server.FailNext("watch", TenantsPath, 500);
                }

                cluster.Server.DropWatches(abortConnections: i % 2 == 0);
                await Task.Delay(50, CancellationToken.None);
                cluster.Server.CompactHistory();
                await Task.Delay(950, CancellationToken.None);
            }
        }, CancellationToken.None);

        var names = Enumerable.Range(0, 40).Select(i => $"t{i:00}").ToList();
        foreach (var name in names)
        {
            await cluster.CreateTenantAsync(name, cancellationToken: _ct);
            await Task.Delay(100, _ct);
        }

        foreach (var name in names.Where((_, i) => i % 4 == 0))
        {
            await cluster.UpdateSpecAsync(name, s => s.DisplayName = "renamed", _ct);
        }

        var deleted = names.Where((_, i) => i % 5 == 1).ToList();
        await OperatorTestCluster.WaitUntilAsync(
            async () => (await Task.WhenAll(deleted.Select(n => cluster.GetTenantAsync(n, _ct)))).All(OperatorTestCluster.IsConverged),
            TimeSpan.FromSeconds(180), "the tenants to delete hold the finalizer", _ct);
        foreach (var name in deleted)
        {
            await cluster.DeleteTenantAsync(name, _ct);
        }

        var kept = names.Except(deleted).ToList();
        await OperatorTestCluster.WaitUntilAsync(
            async () =>
            {
                var tenants = await Task.WhenAll(names.Select(n => cluster.GetTenantAsync(n, _ct)));
                return tenants.Where(t => t is not null).Select(t => t!.Metadata.Name).Order().SequenceEqual(kept)
                       && tenants.Where(t => t is not null).All(OperatorTestCluster.IsConverged);
            },
            TimeSpan.FromSeconds(240), "every kept tenant converged and every deleted one is gone", _ct);
        await chaos.CancelAsync();
        await faults;

        // The faults really hit the operator: it had to relist, not just keep one stream open.
        Assert.True(cluster.Server.CountRequests("list", TenantsPath) > 1, "the operator never relisted");
        Assert.True(cluster.Server.CountRequests("watch", TenantsPath) > 3, "the operator never re-watched");
        foreach (var name in names.Where((_, i) => i % 4 == 0).Except(deleted))
        {
            var renamed = (await cluster.GetTenantAsync(name, _ct))!;
            Assert.Equal(("renamed", 2L), (renamed.Spec.DisplayName, renamed.Status.ObservedGeneration!.Value));
        }
    }

    [Fact]
    public async Task A_conflict_on_the_status_write_is_retried_with_a_fresh_read_and_the_final_status_is_right()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        const string statusPath = "/apis/controlplane.econt.io/v1alpha1/namespaces/tenants/tenants/acme/status";
        cluster.Server.FailNext("update", statusPath, 409, count: 2);
        cluster.StartOperator();

        await cluster.CreateTenantAsync("acme", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("acme", _ct)), TimeSpan.FromSeconds(60), "acme converged", _ct);

        var acme = (await cluster.GetTenantAsync("acme", _ct))!;
        var ready = Conditions.Find(acme.Status.Conditions, TenantConditions.Ready)!;
        Assert.Equal((Conditions.True, TenantReadyReason.Provisioned.ToWire(), 1L), (ready.Status, ready.Reason, ready.ObservedGeneration!.Value));
        Assert.True(cluster.Server.CountRequests("update", statusPath) >= 3, "the status write was not retried after the 409s");
        Assert.True(
            cluster.Server.RequestLog.Count(r => r.Verb == "get" && r.Path.EndsWith("/tenants/acme", StringComparison.Ordinal) && r.UserAgent == "controlplane-operator") >= 2,
            "the operator did not re-read the tenant after each conflict");
    }

    [Fact]
    public async Task An_invalid_spec_is_reported_in_the_Ready_condition_and_an_aggregated_Warning_event()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        cluster.StartOperator();

        await cluster.CreateTenantAsync("bad", s => s.Database = new TenantDatabaseSpec { Server = "nowhere" }, _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => Conditions.Find((await cluster.GetTenantAsync("bad", _ct))?.Status.Conditions, TenantConditions.Ready)?.Reason == TenantReadyReason.InvalidSpec.ToWire(),
            TimeSpan.FromSeconds(20), "bad is InvalidSpec", _ct);

        // Each spec change re-runs the reconcile with the same verdict: one Event whose count rises.
        await cluster.UpdateSpecAsync("bad", s => s.DisplayName = "still bad", _ct);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(cluster.Server.ListEvents(OperatorTestCluster.TenantNamespace).Any(e => (int?)e["count"] >= 2)),
            TimeSpan.FromSeconds(20), "the InvalidSpec event was counted twice", _ct);

        var bad = (await cluster.GetTenantAsync("bad", _ct))!;
        var ready = Conditions.Find(bad.Status.Conditions, TenantConditions.Ready)!;
        Assert.Contains("spec.database.server 'nowhere' is unknown; configured servers: default.", ready.Message, StringComparison.Ordinal);
        Assert.Null(bad.Metadata.Finalizers);
        var warning = Assert.Single(cluster.Server.ListEvents(OperatorTestCluster.TenantNamespace));
        Assert.Equal(("Warning", "InvalidSpec", "bad"), ((string?)warning["type"], (string?)warning["reason"], (string?)warning["involvedObject"]!["name"]));
    }

    [Fact]
    public async Task The_API_server_refuses_what_the_CRD_schema_forbids_and_accepts_the_sample()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);

        var refused = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.CreateTenantAsync(
            "leaky", s => s.Credentials = new TenantCredentials { SecretRef = "postgres://admin:pw@db/acme" }, _ct));
        Assert.Equal(422, (int)refused.Response.StatusCode);

        var sample = KubernetesYaml.Deserialize<Tenant>(await File.ReadAllTextAsync(RepositoryFiles.PathOf("config", "samples", "tenant-acme.yaml"), _ct));
        // The sample's namespace is the tenants' namespace of the deploy manifests, which the test cluster already has.
        Assert.Equal(OperatorTestCluster.SecretNamespace, sample.Metadata.NamespaceProperty);
        var created = await cluster.Client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            sample, Tenant.ApiGroup, Tenant.ApiVersionName, sample.Metadata.NamespaceProperty, Tenant.Plural, cancellationToken: _ct);
        Assert.Equal(("acme", "default", DeletionPolicies.Retain), (created.Spec.Slug, created.Spec.Database!.Server, created.Spec.DeletionPolicy));

        created.Spec.Slug = "acme2";
        var immutable = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.CustomObjects.ReplaceNamespacedCustomObjectAsync<Tenant>(
            created, Tenant.ApiGroup, Tenant.ApiVersionName, created.Metadata.NamespaceProperty, Tenant.Plural, "acme", cancellationToken: _ct));
        Assert.Contains("slug is immutable", immutable.Response.Content, StringComparison.Ordinal);
    }
}
