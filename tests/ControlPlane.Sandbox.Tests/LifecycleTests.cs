using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

/// <summary>Garbage collection by ownerReferences and namespace termination, as the controller manager would do them.</summary>
public sealed class LifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Objects_owned_by_a_removed_object_are_garbage_collected_once_the_owner_is_really_gone()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("owner");
        body["metadata"]!["finalizers"] = new JsonArray("test.econt.io/cleanup");
        var owner = await CreateWidgetAsync(client, body);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta
            {
                Name = "owned",
                OwnerReferences = [new V1OwnerReference { ApiVersion = "test.econt.io/v1", Kind = "Widget", Name = "owner", Uid = (string)owner["metadata"]!["uid"]!, Controller = true }],
            },
        }, "default", cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "unrelated" } }, "default", cancellationToken: Ct);

        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "owner", cancellationToken: Ct);
        Assert.NotNull(server.GetStored(string.Empty, "v1", "secrets", "default", "owned"));

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "owner", cancellationToken: Ct);

        Assert.Null(server.GetStored(string.Empty, "v1", "secrets", "default", "owned"));
        Assert.NotNull(server.GetStored(string.Empty, "v1", "secrets", "default", "unrelated"));
    }

    [Fact]
    public async Task Deleting_a_namespace_terminates_it_deletes_its_content_and_waits_for_finalizers()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenant-a" } }, cancellationToken: Ct);
        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "tenant-a", cancellationToken: Ct);
        var guarded = Widget("guarded", ns: "tenant-a");
        guarded["metadata"]!["finalizers"] = new JsonArray("test.econt.io/cleanup");
        await CreateWidgetAsync(client, guarded, "tenant-a");

        await client.CoreV1.DeleteNamespaceAsync("tenant-a", cancellationToken: Ct);

        Assert.Null(server.GetStored(string.Empty, "v1", "secrets", "tenant-a", "s"));
        Assert.NotNull(server.GetStored(Group, V1, Widgets, "tenant-a", "guarded")!["metadata"]!["deletionTimestamp"]);
        var terminating = await client.CoreV1.ReadNamespaceAsync("tenant-a", cancellationToken: Ct);
        Assert.Equal("Terminating", terminating.Status.Phase);
        var (code, status) = await FailureAsync(() => client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "late" } }, "tenant-a", cancellationToken: Ct));
        Assert.Equal(403, code);
        Assert.Contains("is being terminated", (string?)status["message"], StringComparison.Ordinal);

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), Group, V1, "tenant-a", Widgets, "guarded", cancellationToken: Ct);

        Assert.Null(server.GetStored(string.Empty, "v1", "namespaces", null, "tenant-a"));
    }

    [Fact]
    public async Task The_default_namespace_may_not_be_deleted()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var (code, _) = await FailureAsync(() => client.CoreV1.DeleteNamespaceAsync("default", cancellationToken: Ct));

        Assert.Equal(403, code);
        Assert.NotNull(server.GetStored(string.Empty, "v1", "namespaces", null, "default"));
    }
}
