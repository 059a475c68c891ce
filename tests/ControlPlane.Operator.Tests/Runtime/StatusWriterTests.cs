using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Runtime;

/// <summary>StatusWriter against the in-process API server through the real client.</summary>
public sealed class StatusWriterTests
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Writing_once_skips_an_unchanged_status_and_gives_up_on_a_stale_object_instead_of_re_reading()
    {
        await using var api = await KubeApiServer.StartAsync(cancellationToken: _ct);
        using var client = api.CreateClient();
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = "acme", NamespaceProperty = "default" } };
        tenant.Spec.DisplayName = "Acme";
        await client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, "default", Tenant.Plural, cancellationToken: _ct);
        var tenants = new KubernetesResourceClient<Tenant>(client, TenantOperator.Resource);
        var writer = new StatusWriter<Tenant, TenantStatus>(tenants);
        var current = (await tenants.GetAsync("default", "acme", _ct))!;
        var stale = (await tenants.GetAsync("default", "acme", _ct))!;
        var before = KubernetesJson.Serialize(current.Status);

        var written = await writer.UpdateOnceAsync(current, new TenantStatus { Phase = TenantPhases.Provisioning }, _ct);
        var unchanged = await writer.UpdateOnceAsync(written!, new TenantStatus { Phase = TenantPhases.Provisioning }, _ct);
        var conflicted = await writer.UpdateOnceAsync(stale, new TenantStatus { Phase = TenantPhases.Active }, _ct);

        Assert.Equal(TenantPhases.Provisioning, written!.Status.Phase);
        Assert.Equal(before, KubernetesJson.Serialize(current.Status));
        Assert.Same(written, unchanged);
        Assert.Null(conflicted);
        Assert.Equal(TenantPhases.Provisioning, (await tenants.GetAsync("default", "acme", _ct))!.Status.Phase);
        Assert.Equal(written.Metadata.ResourceVersion, (await tenants.GetAsync("default", "acme", _ct))!.Metadata.ResourceVersion);
    }
}
