using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

/// <summary>Structural-schema validation, pruning, defaulting and the immutability rule, seen through KubernetesClient.</summary>
public sealed class ValidationTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string, string, string> InvalidSpecs => new()
    {
        { """{"size":11,"region":"eu"}""", "spec.size", "FieldValueInvalid", "spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10" },
        { """{"size":0,"region":"eu"}""", "spec.size", "FieldValueInvalid", "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1" },
        { """{"size":"big","region":"eu"}""", "spec.size", "FieldValueTypeInvalid", "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"" },
        { """{"size":1}""", "spec.region", "FieldValueRequired", "spec.region: Required value" },
        { """{"size":1,"region":"eu","color":"pink"}""", "spec.color", "FieldValueNotSupported", "spec.color: Unsupported value: \"pink\": supported values: \"red\", \"green\", \"blue\"" },
        { """{"size":1,"region":"eu","name":"Bad"}""", "spec.name", "FieldValueInvalid", "spec.name: Invalid value: \"Bad\": spec.name in body should match '^[a-z][a-z0-9-]*$'" },
        { """{"size":1,"region":"eu","name":"abcdefghijklmnopqrstuvwxyz"}""", "spec.name", "FieldValueTooLong", "spec.name: Too long: may not be longer than 20" },
        { """{"size":1,"region":"eu","tags":["a","b","c","d"]}""", "spec.tags", "FieldValueTooMany", "spec.tags: Too many: 4: must have at most 3 items" },
        { """{"size":1,"region":"eu","tags":[""]}""", "spec.tags[0]", "FieldValueInvalid", "spec.tags[0]: Invalid value: \"\": spec.tags[0] in body should be at least 1 chars long" },
        { """{"size":2,"region":"eu","owner":"nobody"}""", "spec.owner", "FieldValueInvalid", "spec.owner: Invalid value: \"nobody\": spec.owner in body must be of type email: \"nobody\"" },
        { """{"size":1,"region":"eu","settings":{"k":3}}""", "spec.settings.k", "FieldValueTypeInvalid", "spec.settings.k: Invalid value: \"integer\": spec.settings.k in body must be of type string: \"integer\"" },
        { """{"size":1,"region":"eu","port":1.5}""", "spec.port", "FieldValueTypeInvalid", "spec.port: Invalid value: \"number\": spec.port in body must be of type integer,string: \"number\"" },
    };

    [Theory]
    [MemberData(nameof(InvalidSpecs))]
    public async Task An_invalid_custom_resource_is_rejected_with_422_naming_the_field(string spec, string field, string reason, string message)
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["spec"] = JsonNode.Parse(spec);

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, body));

        Assert.Equal(422, code);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Equal($"Widget.test.econt.io \"a\" is invalid: {message}", (string?)status["message"]);
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal(field, (string?)cause["field"]);
        Assert.Equal(reason, (string?)cause["reason"]);
        Assert.Equal("widgets", (string?)status["details"]!["kind"]);
        Assert.Null(server.GetStored(Group, V1, Widgets, "default", "a"));
    }

    [Fact]
    public async Task Several_errors_are_reported_together()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["spec"] = JsonNode.Parse("""{"size":99,"color":"pink"}""");

        var (_, status) = await FailureAsync(() => CreateWidgetAsync(client, body));

        var fields = status["details"]!["causes"]!.AsArray().Select(c => (string)c!["field"]!).Order(StringComparer.Ordinal);
        Assert.Equal(["spec.color", "spec.region", "spec.size"], fields);
        Assert.StartsWith("Widget.test.econt.io \"a\" is invalid: [", (string?)status["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_fields_are_pruned_unless_preserved()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["spec"]!["unknown"] = "dropped";
        body["spec"]!["extra"] = new JsonObject { ["anything"] = new JsonObject { ["goes"] = true } };
        body["topLevelJunk"] = 1;
        body["metadata"]!["notAField"] = "x";

        var created = await CreateWidgetAsync(client, body);

        Assert.Null(created["spec"]!["unknown"]);
        Assert.Null(created["topLevelJunk"]);
        Assert.Null(created["metadata"]!["notAField"]);
        Assert.True((bool?)created["spec"]!["extra"]!["anything"]!["goes"]);
        Assert.Null(server.GetStored(Group, V1, Widgets, "default", "a")!["spec"]!["unknown"]);
    }

    [Fact]
    public async Task Schema_defaults_are_applied_to_absent_fields_including_inside_defaulted_objects()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var created = await CreateWidgetAsync(client, Widget("a"));

        Assert.Equal("green", (string?)created["spec"]!["color"]);
        Assert.Equal(2, (int?)created["spec"]!["limits"]!["cpu"]);
        var explicitColor = Widget("b");
        explicitColor["spec"]!["color"] = "red";
        explicitColor["spec"]!["limits"] = new JsonObject { ["cpu"] = 8 };
        var kept = await CreateWidgetAsync(client, explicitColor);
        Assert.Equal("red", (string?)kept["spec"]!["color"]);
        Assert.Equal(8, (int?)kept["spec"]!["limits"]!["cpu"]);
    }

    [Fact]
    public async Task Int_or_string_accepts_both()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var numeric = Widget("a");
        numeric["spec"]!["port"] = 5432;
        var named = Widget("b");
        named["spec"]!["port"] = "postgres";

        Assert.Equal(5432, (int?)(await CreateWidgetAsync(client, numeric))["spec"]!["port"]);
        Assert.Equal("postgres", (string?)(await CreateWidgetAsync(client, named))["spec"]!["port"]);
    }

    [Fact]
    public async Task The_self_equals_old_self_rule_makes_a_field_immutable_on_update_and_patch()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var created = await CreateWidgetAsync(client, Widget("a", region: "eu"));

        created["spec"]!["region"] = "us";
        var (code, status) = await FailureAsync(() =>
            client.CustomObjects.ReplaceNamespacedCustomObjectAsync(created, Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(422, code);
        Assert.Equal("Widget.test.econt.io \"a\" is invalid: spec.region: Invalid value: \"string\": region is immutable", (string?)status["message"]);

        var (patchCode, _) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"region":"us"}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct));
        Assert.Equal(422, patchCode);

        var unchangedRegion = await client.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"size":9}}""", V1Patch.PatchType.MergePatch), Group, V1, "default", Widgets, "a", cancellationToken: Ct);
        Assert.Equal("eu", (string?)ToNode(unchangedRegion)["spec"]!["region"]);
    }

    [Fact]
    public async Task Status_writes_are_validated_against_the_status_schema()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"Maybe"}]}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(422, code);
        Assert.Equal("status.conditions[0].status", (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task A_list_map_refuses_two_items_with_the_same_key()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("a"));

        var (code, status) = await FailureAsync(() => client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"status":{"conditions":[{"type":"Ready","status":"True"},{"type":"Ready","status":"False"}]}}""", V1Patch.PatchType.MergePatch),
            Group, V1, "default", Widgets, "a", cancellationToken: Ct));

        Assert.Equal(422, code);
        var cause = Assert.Single(status["details"]!["causes"]!.AsArray())!;
        Assert.Equal("status.conditions[1]", (string?)cause["field"]);
        Assert.Equal("FieldValueDuplicate", (string?)cause["reason"]);
    }

    [Fact]
    public async Task Non_nullable_nulls_are_dropped_or_defaulted_before_validation()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var body = Widget("a");
        body["spec"]!["color"] = null;
        body["spec"]!["owner"] = null;

        var created = await CreateWidgetAsync(client, body);

        Assert.Equal("green", (string?)created["spec"]!["color"]);
        Assert.False(created["spec"]!.AsObject().ContainsKey("owner"));
    }

    [Fact]
    public async Task Invalid_names_are_rejected()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var (code, status) = await FailureAsync(() => CreateWidgetAsync(client, Widget("Not_Valid")));

        Assert.Equal(422, code);
        Assert.Equal("metadata.name", (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Fact]
    public async Task A_version_without_a_structural_schema_preserves_everything()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();
        var beta = Widget("a");
        beta["apiVersion"] = "test.econt.io/v1beta1";
        beta["spec"]!["legacy"] = "kept";

        var created = ToNode(await client.CustomObjects.CreateNamespacedCustomObjectAsync(beta, Group, "v1beta1", "default", Widgets, cancellationToken: Ct));

        Assert.Equal("kept", (string?)created["spec"]!["legacy"]);
    }
}
