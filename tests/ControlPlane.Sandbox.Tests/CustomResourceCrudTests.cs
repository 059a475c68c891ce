using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class CustomResourceCrudTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Create_assigns_uid_creation_timestamp_generation_one_and_a_cluster_wide_resource_version()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var first = await CreateWidgetAsync(client, Widget("a"));
        var second = await CreateWidgetAsync(client, Widget("b"));

        Assert.True(Guid.TryParse((string?)first["metadata"]!["uid"], out _));
        Assert.NotNull((string?)first["metadata"]!["creationTimestamp"]);
        Assert.Equal(1, Generation(first));
        Assert.True(long.Parse(Rv(second), System.Globalization.CultureInfo.InvariantCulture) > long.Parse(Rv(first), System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(Rv(second), server.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("test.econt.io/v1", (string?)first["apiVersion"]);
        Assert.Equal("Widget", (string?)first["kind"]);
    }

    [Fact]
    public async Task Creating_an_existing_name_is_409_AlreadyExists()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, Widget("a")));

        Assert.Equal(409, code);
        Assert.Equal("AlreadyExists", (string?)status["reason"]);
        Assert.Equal("widgets.test.econt.io \"a\" already exists", (string?)status["message"]);
        Assert.Equal("Status", (string?)status["kind"]);
    }

    [Fact]
    public async Task Getting_a_missing_object_is_404_NotFound_with_a_Status_body()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var (code, status) = await FailureAsync(() => GetWidgetAsync(client, "nope"));

        Assert.Equal(404, code);
        Assert.Equal("NotFound", (string?)status["reason"]);
        Assert.Equal("widgets.test.econt.io \"nope\" not found", (string?)status["message"]);
        Assert.Equal("test.econt.io", (string?)status["details"]!["group"]);
    }

    [Fact]
    public async Task Creating_in_a_missing_namespace_is_404()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, Widget("a", ns: "ghost"), "ghost"));

        Assert.Equal(404, code);
        Assert.Equal("namespaces \"ghost\" not found", (string?)status["message"]);
    }

    [Fact]
    public async Task A_put_with_a_stale_resource_version_is_409_Conflict()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await CreateWidgetAsync(client, Widget("a"));
        var stale = (JsonObject)created.DeepClone();
        created["spec"]!["size"] = 4;
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, Group, V1, "default", Widgets, "a", cancellationToken: Ct);

        stale["spec"]!["size"] = 5;
        var (code, status) = await FailureAsync(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(409, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
        Assert.Contains("the object has been modified", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal(4, (int?)server.GetStored(Group, V1, Widgets, "default", "a")!["spec"]!["size"]);
    }

    [Fact]
    public async Task A_put_without_resource_version_is_refused_for_custom_resources()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var (code, status) = await FailureAsync(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectAsync(Widget("a", size: 6), Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(422, code);
        Assert.Equal("metadata.resourceVersion", (string?)status["details"]!["causes"]![0]!["field"]);
        Assert.Contains("must be specified for an update", (string?)status["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_put_of_a_missing_custom_resource_is_404()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["metadata"]!["resourceVersion"] = "1";

        var (code, _) = await FailureAsync(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectAsync(body, Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(404, code);
    }

    [Fact]
    public async Task Status_write_does_not_bump_generation_and_spec_write_does()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await CreateWidgetAsync(client, Widget("a"));

        created["status"] = new JsonObject { ["phase"] = "Ready", ["observedGeneration"] = 1 };
        var afterStatus = ToNode(await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(1, Generation(afterStatus));
        Assert.Equal("Ready", (string?)afterStatus["status"]!["phase"]);
        Assert.NotEqual(Rv(created), Rv(afterStatus));

        afterStatus["spec"]!["size"] = 7;
        var afterSpec = ToNode(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(afterStatus, Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(2, Generation(afterSpec));

        afterSpec["metadata"]!["labels"] = new JsonObject { ["team"] = "db" };
        var afterLabels = ToNode(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(afterSpec, Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(2, Generation(afterLabels));
    }

    [Fact]
    public async Task Main_resource_writes_ignore_status_and_status_writes_ignore_everything_else()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["status"] = new JsonObject { ["phase"] = "Forged" };
        var created = await CreateWidgetAsync(client, body);
        Assert.Null(created["status"]);

        created["status"] = new JsonObject { ["phase"] = "Ready" };
        created["spec"]!["size"] = 9;
        var afterStatus = ToNode(await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(created, Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(3, (int?)afterStatus["spec"]!["size"]);
        Assert.Equal("Ready", (string?)afterStatus["status"]!["phase"]);

        afterStatus["status"] = new JsonObject { ["phase"] = "Overwritten" };
        var afterSpec = ToNode(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(afterStatus, Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal("Ready", (string?)afterSpec["status"]!["phase"]);
    }

    [Fact]
    public async Task Merge_patch_and_json_patch_apply_without_resource_version_and_an_rv_in_a_merge_patch_is_a_precondition()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await CreateWidgetAsync(client, Widget("a"));

        var merged = ToNode(await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"size":5},"metadata":{"labels":{"tier":"gold"}}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(5, (int?)merged["spec"]!["size"]);
        Assert.Equal("gold", (string?)merged["metadata"]!["labels"]!["tier"]);
        Assert.Equal(2, Generation(merged));

        var patched = ToNode(await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""[{"op":"replace","path":"/spec/size","value":6},{"op":"add","path":"/spec/tags","value":["x"]}]""", V1Patch.PatchType.JsonPatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(6, (int?)patched["spec"]!["size"]);
        Assert.Equal("x", (string?)patched["spec"]!["tags"]![0]);

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch($$$"""{"metadata":{"resourceVersion":"{{{Rv(created)}}}"},"spec":{"size":8}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(409, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
    }

    [Fact]
    public async Task Patching_status_changes_only_status()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var patched = ToNode(await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"phase":"Ready"},"spec":{"size":9}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal("Ready", (string?)patched["status"]!["phase"]);
        Assert.Equal(3, (int?)patched["spec"]!["size"]);
        Assert.Equal(1, Generation(patched));
    }

    [Fact]
    public async Task Server_side_apply_is_refused_with_415()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"apiVersion":"test.econt.io/v1","kind":"Widget","metadata":{"name":"a"},"spec":{"size":2}}""", V1Patch.PatchType.ApplyPatch),
            Group, V1, "default", Widgets, "a", fieldManager: "test", cancellationToken: Ct));

        Assert.Equal(415, code);
        Assert.Equal("UnsupportedMediaType", (string?)status["reason"]);
    }

    [Fact]
    public async Task Dry_run_writes_validate_and_answer_but_store_nothing()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var before = server.CurrentResourceVersion;

        var answered = ToNode(await client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("a"), Group, V1, "default", Widgets, dryRun: "All", cancellationToken: Ct));
        var (code, _) = await FailureAsync(() => client.CustomObjects.CreateNamespacedCustomObjectAsync(Widget("b", size: 99), Group, V1, "default", Widgets, dryRun: "All", cancellationToken: Ct));

        Assert.Equal("green", (string?)answered["spec"]!["color"]);
        Assert.Equal(422, code);
        Assert.Null(server.GetStored(Group, V1, Widgets, "default", "a"));
        Assert.Equal(before, server.CurrentResourceVersion);

        await CreateWidgetAsync(client, Widget("c"));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "c", dryRun: "All", cancellationToken: Ct);
        Assert.NotNull(server.GetStored(Group, V1, Widgets, "default", "c"));
    }

    [Fact]
    public async Task An_unchanged_update_does_not_bump_the_resource_version()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await CreateWidgetAsync(client, Widget("a"));

        var same = ToNode(await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(Rv(created), Rv(same));
    }

    [Fact]
    public async Task Delete_without_finalizers_removes_the_object_and_returns_it()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var deleted = ToNode(await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal("a", (string?)deleted["metadata"]!["name"]);
        Assert.Null(server.GetStored(Group, V1, Widgets, "default", "a"));
        var (code, _) = await FailureAsync(() => client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(404, code);
    }

    [Fact]
    public async Task Delete_with_a_finalizer_sets_deletion_timestamp_bumps_generation_refuses_new_finalizers_and_removes_on_last_finalizer()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["metadata"]!["finalizers"] = new JsonArray("test.econt.io/cleanup");
        await CreateWidgetAsync(client, body);

        var deleting = ToNode(await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.NotNull((string?)deleting["metadata"]!["deletionTimestamp"]);
        Assert.Equal(2, Generation(deleting));
        var again = ToNode(await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(2, Generation(again));
        Assert.Equal(Rv(deleting), Rv(again));

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":["test.econt.io/cleanup","other/extra"]}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(422, code);
        Assert.Equal("metadata.finalizers", (string?)status["details"]!["causes"]![0]!["field"]);

        await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        Assert.Null(server.GetStored(Group, V1, Widgets, "default", "a"));
    }

    [Fact]
    public async Task Cluster_scoped_resources_live_outside_namespaces_and_without_status_subresource_status_bumps_generation()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var gadget = new JsonObject
        {
            ["apiVersion"] = "test.econt.io/v1",
            ["kind"] = "Gadget",
            ["metadata"] = new JsonObject { ["name"] = "g1" },
            ["spec"] = new JsonObject { ["level"] = 1 },
            ["status"] = new JsonObject { ["ready"] = true },
        };

        var created = ToNode(await client.CustomObjects.CreateClusterCustomObjectAsync(gadget, Group, V1, "gadgets", cancellationToken: Ct));
        Assert.Null(created["metadata"]!["namespace"]);
        Assert.True((bool?)created["status"]!["ready"]);

        created["status"]!["ready"] = false;
        var updated = ToNode(await client.CustomObjects.ReplaceClusterCustomObjectAsync(created, Group, V1, "gadgets", "g1", cancellationToken: Ct));
        Assert.Equal(2, Generation(updated));
        Assert.NotNull(server.GetStored(Group, V1, "gadgets", null, "g1"));
    }

    [Fact]
    public async Task Objects_are_served_in_every_served_version_from_one_storage()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var beta = ToNode(await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, "v1beta1", "default", Widgets, "a", Ct));

        Assert.Equal("test.econt.io/v1beta1", (string?)beta["apiVersion"]);
        Assert.Equal(3, (int?)beta["spec"]!["size"]);
    }
}
