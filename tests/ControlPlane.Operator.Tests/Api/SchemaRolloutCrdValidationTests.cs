using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>The shipped SchemaRollout CRD, served by the in-process API server, refuses what the operator cannot run.</summary>
public sealed class SchemaRolloutCrdValidationTests
{
    private const string Namespace = "tenants";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Batch_size_and_percentage_together_a_bad_target_and_a_changed_target_are_refused_and_defaults_apply()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions(), _ct);
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: _ct);

        await AssertRefusedAsync(client, Rollout("both", s => { s.BatchSize = 5; s.BatchPercent = 10; }), "batchSize or batchPercent");
        await AssertRefusedAsync(client, Rollout("bad-target", s => s.TargetVersion = "v3"), "targetVersion");
        await AssertRefusedAsync(client, Rollout("zero-parallel", s => s.MaxParallel = 0), "maxParallel");

        var created = await CreateAsync(client, Rollout("ok", _ => { }));
        Assert.Equal((1, 0), (created.Spec.MaxParallel, created.Spec.MaxFailures));

        created.Spec.TargetVersion = "4";
        var rollouts = new KubernetesResourceClient<SchemaRollout>(client, SchemaRolloutOperator.Resource);
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => rollouts.ReplaceAsync(created, _ct));
        Assert.Contains("targetVersion is immutable", error.Response.Content, StringComparison.Ordinal);
    }

    private static SchemaRollout Rollout(string name, Action<SchemaRolloutSpec> spec)
    {
        var rollout = new SchemaRollout { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = Namespace } };
        rollout.Spec.TargetVersion = "3";
        spec(rollout.Spec);
        return rollout;
    }

    private Task<SchemaRollout> CreateAsync(Kubernetes client, SchemaRollout rollout) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync<SchemaRollout>(
            rollout, Tenant.ApiGroup, Tenant.ApiVersionName, Namespace, SchemaRollout.Plural, cancellationToken: _ct);

    private async Task AssertRefusedAsync(Kubernetes client, SchemaRollout rollout, string mentions)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(() => CreateAsync(client, rollout));
        Assert.Equal(System.Net.HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains(mentions, error.Response.Content, StringComparison.Ordinal);
    }
}
