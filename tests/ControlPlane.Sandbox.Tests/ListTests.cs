using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class ListTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("tier=gold", "a")]
    [InlineData("tier==gold", "a")]
    [InlineData("tier!=gold", "b,c")]
    [InlineData("tier in (gold,silver)", "a,b")]
    [InlineData("tier notin (gold,silver)", "c")]
    [InlineData("tier", "a,b")]
    [InlineData("!tier", "c")]
    [InlineData("tier,env=prod", "a")]
    [InlineData("tier in (silver),env", "")]
    public async Task Label_selectors_filter_lists(string selector, string expected)
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateLabelledAsync(client, "a", new() { ["tier"] = "gold", ["env"] = "prod" });
        await CreateLabelledAsync(client, "b", new() { ["tier"] = "silver" });
        await CreateLabelledAsync(client, "c", new() { ["env"] = "prod" });

        var list = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, labelSelector: selector, cancellationToken: Ct));

        Assert.Equal(expected, string.Join(',', list["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"])));
    }

    [Fact]
    public async Task A_malformed_selector_is_a_bad_request()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var (code, _) = await FailureAsync(() => client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, labelSelector: "tier in gold", cancellationToken: Ct));

        Assert.Equal(400, code);
    }

    [Fact]
    public async Task Limit_and_continue_page_through_every_object_once_in_name_order()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        foreach (var name in new[] { "e", "b", "d", "a", "c" })
        {
            await CreateWidgetAsync(client, Widget(name));
        }

        var names = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, continueParameter: token, limit: 2, cancellationToken: Ct));
            names.AddRange(page["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
            token = (string?)page["metadata"]!["continue"];
            pages++;
            if (token is not null)
            {
                Assert.Equal(5 - names.Count, (int?)page["metadata"]!["remainingItemCount"]);
            }
        }
        while (token is not null);

        Assert.Equal(["a", "b", "c", "d", "e"], names);
        Assert.Equal(3, pages);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("tier=gold")]
    public async Task Paging_a_namespace_returns_each_matching_object_once_in_order_and_counts_the_rest_only_without_a_selector(string? selector)
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        // Neighbours on both sides of "default" in key order: '-' sorts before '/', '0' after it.
        foreach (var ns in new[] { "default-a", "default0" })
        {
            await client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = ns } }, cancellationToken: Ct);
            await CreateLabelledAsync(client, "x", new() { ["tier"] = "gold" }, ns);
        }

        var created = Enumerable.Range(0, 23).Select(i => $"w{i:00}").Reverse().ToList();
        foreach (var (name, i) in created.Select((name, i) => (name, i)))
        {
            await CreateLabelledAsync(client, name, new() { ["tier"] = i % 3 == 0 ? "gold" : "silver" });
        }

        var expected = created.Where((_, i) => selector is null || i % 3 == 0).Order(StringComparer.Ordinal).ToList();
        var names = new List<string>();
        string? token = null;
        do
        {
            var page = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, labelSelector: selector, continueParameter: token, limit: 4, cancellationToken: Ct));
            names.AddRange(page["items"]!.AsArray().Select(i => (string)i!["metadata"]!["name"]!));
            token = (string?)page["metadata"]!["continue"];
            var remaining = (int?)page["metadata"]!["remainingItemCount"];
            Assert.Equal(selector is null && token is not null ? expected.Count - names.Count : null, remaining);
        }
        while (token is not null);

        Assert.Equal(expected, names);
    }

    [Fact]
    public async Task A_continue_after_the_last_returned_object_was_deleted_resumes_after_its_name()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await CreateWidgetAsync(client, Widget(name));
        }

        var first = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, limit: 2, cancellationToken: Ct));
        await client.CustomObjects.DeleteNamespacedCustomObjectAsync(Group, V1, "default", Widgets, "b", cancellationToken: Ct);
        var rest = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, continueParameter: (string)first["metadata"]!["continue"]!, limit: 2, cancellationToken: Ct));

        Assert.Equal(["c", "d"], rest["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]));
        Assert.Null(rest["metadata"]!["continue"]);
    }

    [Fact]
    public async Task Paging_across_namespaces_goes_in_namespace_then_name_order()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = "other" } }, cancellationToken: Ct);
        foreach (var (ns, name) in new[] { ("other", "a"), ("default", "c"), ("other", "b"), ("default", "a"), ("default", "b") })
        {
            await CreateWidgetAsync(client, Widget(name, ns: ns), ns);
        }

        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = ToNode(await client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Group, V1, Widgets, continueParameter: token, limit: 2, cancellationToken: Ct));
            keys.AddRange(page["items"]!.AsArray().Select(i => $"{(string?)i!["metadata"]!["namespace"]}/{(string?)i["metadata"]!["name"]}"));
            token = (string?)page["metadata"]!["continue"];
        }
        while (token is not null);

        Assert.Equal(["default/a", "default/b", "default/c", "other/a", "other/b"], keys);
    }

    [Fact]
    public async Task A_continue_token_older_than_the_history_is_410_Expired()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));
        await CreateWidgetAsync(client, Widget("b"));
        var page = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, limit: 1, cancellationToken: Ct));
        await CreateWidgetAsync(client, Widget("c"));
        server.CompactHistory();

        var (code, status) = await FailureAsync(() => client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, continueParameter: (string)page["metadata"]!["continue"]!, limit: 1, cancellationToken: Ct));

        Assert.Equal(410, code);
        Assert.Equal("Expired", (string?)status["reason"]);
    }

    [Fact]
    public async Task Field_selectors_on_name_and_lists_across_namespaces_work()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = "other" } }, cancellationToken: Ct);
        await CreateWidgetAsync(client, Widget("a"));
        await CreateWidgetAsync(client, Widget("b"));
        await CreateWidgetAsync(client, Widget("a", ns: "other"), "other");

        var byName = ToNode(await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, fieldSelector: "metadata.name=b", cancellationToken: Ct));
        var everywhere = ToNode(await client.CustomObjects.ListCustomObjectForAllNamespacesAsync(Group, V1, Widgets, cancellationToken: Ct));

        Assert.Equal(["b"], byName["items"]!.AsArray().Select(i => (string?)i!["metadata"]!["name"]));
        Assert.Equal(["default/a", "default/b", "other/a"], everywhere["items"]!.AsArray().Select(i => $"{(string?)i!["metadata"]!["namespace"]}/{(string?)i["metadata"]!["name"]}"));
        Assert.Equal("WidgetList", (string?)everywhere["kind"]);
    }

    private static Task<JsonObject> CreateLabelledAsync(Kubernetes client, string name, Dictionary<string, string> labels, string ns = "default")
    {
        var body = Widget(name, ns: ns);
        body["metadata"]!["labels"] = new JsonObject(labels.Select(l => KeyValuePair.Create(l.Key, (JsonNode?)l.Value)));
        return CreateWidgetAsync(client, body, ns);
    }
}
