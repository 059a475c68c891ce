using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Schema;
using ControlPlane.Sandbox.KubeApi.Schema.Cel;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class CelRuleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("self == oldSelf", """{"a":1}""", """{"a":1}""", true)]
    [InlineData("self == oldSelf", """{"a":1}""", """{"a":2}""", false)]
    [InlineData("has(self.slug) == has(oldSelf.slug)", """{"slug":"x"}""", """{}""", false)]
    [InlineData("!has(self.reason) || (has(self.suspended) && self.suspended)", """{"reason":"r","suspended":true}""", null, true)]
    [InlineData("!has(self.reason) || (has(self.suspended) && self.suspended)", """{"reason":"r","suspended":false}""", null, false)]
    [InlineData("!(self.name in ['postgres', 'template0'])", """{"name":"template0"}""", null, false)]
    [InlineData("self.name.lowerAscii().matches('(://|@|[[:space:]]|hvs\\\\.)')", """{"name":"HVS.abc"}""", null, true)]
    [InlineData("self.name.lowerAscii().matches('(://|@|[[:space:]]|hvs\\\\.)')", """{"name":"k8s:ns/s#key"}""", null, false)]
    [InlineData("self.name.matches('[[:space:]]')", """{"name":"a b"}""", null, true)]
    [InlineData("self.items.size() <= 2 && size(self.name) == 3", """{"items":[1,2],"name":"abc"}""", null, true)]
    [InlineData("self.replicas > 1 ? self.mode == 'ha' : true", """{"replicas":3,"mode":"single"}""", null, false)]
    [InlineData("self.min <= self.max && self.max - self.min < 10 && self.max % 2 == 0", """{"min":1,"max":8}""", null, true)]
    [InlineData("self.name.startsWith('db-') && !self.name.endsWith('-') && self.name.contains('x')", """{"name":"db-x1"}""", null, true)]
    [InlineData("'k' in self.labels && self.labels['k'] == 'v'", """{"labels":{"k":"v"}}""", null, true)]
    [InlineData("self.ratio == 0.5 && self.items[1] == 'b'", """{"ratio":0.5,"items":["a","b"]}""", null, true)]
    public void The_supported_cel_subset_evaluates_like_cel(string rule, string self, string? oldSelf, bool expected)
    {
        var variables = new Dictionary<string, object?> { ["self"] = CelEvaluator.FromJson(JsonNode.Parse(self)) };
        if (oldSelf is not null)
        {
            variables["oldSelf"] = CelEvaluator.FromJson(JsonNode.Parse(oldSelf));
        }

        Assert.Equal(expected, CelEvaluator.Evaluate(CelParser.Parse(rule), variables));
    }

    [Theory]
    [InlineData("self.items.all(i, i > 0)")]
    [InlineData("self.items.exists(i, i > 0)")]
    [InlineData("self.when > timestamp('2024-01-01T00:00:00Z')")]
    [InlineData("self.a == ")]
    public void Rules_outside_the_subset_are_recognised_as_unsupported(string rule) =>
        Assert.Null(CelRules.Parse(rule));

    [Fact]
    public void A_missing_key_is_an_evaluation_error_as_in_cel() =>
        Assert.Throws<CelEvaluationException>(() => CelEvaluator.Evaluate(CelParser.Parse("self.missing == 1"), new Dictionary<string, object?> { ["self"] = new JsonObject() }));

    [Fact]
    public async Task A_rule_on_an_object_rejects_with_its_message_at_its_field_path()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a", size: 1);
        body["spec"]!["owner"] = "ops@econt.io";

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, body));

        Assert.Equal(422, code);
        Assert.Equal("Widget.test.econt.io \"a\" is invalid: spec.owner: Invalid value: \"object\": a widget with an owner has size 2 or more", (string?)status["message"]);
    }

    [Fact]
    public async Task A_rule_with_a_reason_reports_that_reason()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["spec"]!["name"] = "root";

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, body));

        Assert.Equal(422, code);
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal("FieldValueForbidden", (string?)cause["reason"]);
        Assert.Equal("spec.name", (string?)cause["field"]);
        Assert.Equal("Forbidden: reserved name", (string?)cause["message"]);
    }

    [Fact]
    public async Task A_credential_shaped_value_is_refused_by_a_matches_rule()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var leaked = Widget("a");
        leaked["spec"]!["ref"] = "postgres://user:PASSWORD=x@host";  // secretlint-disable-line
        var fine = Widget("b");
        fine["spec"]!["ref"] = "k8s:default/db#password";

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, leaked));
        var created = await CreateWidgetAsync(client, fine);

        Assert.Equal(422, code);
        Assert.Contains("ref must be a reference, not a credential", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal("k8s:default/db#password", (string?)created["spec"]!["ref"]);
    }

    [Fact]
    public async Task A_transition_rule_applies_on_update_only()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var withName = Widget("a");
        withName["spec"]!["name"] = "alpha";
        await CreateWidgetAsync(client, withName);

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"name":null}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(422, code);
        Assert.Contains("name cannot be added or removed", (string?)status["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_outside_the_subset_is_ignored()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["spec"]!["tags"] = new JsonArray("far-too-long-tag");

        var created = await CreateWidgetAsync(client, body);

        Assert.Equal("far-too-long-tag", (string?)created["spec"]!["tags"]![0]);
    }
}
