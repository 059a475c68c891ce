using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Store.TenantDatabases;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>
/// The CRD served by the in-process API server (schema and CEL, through the real client) and the operator's
/// <see cref="TenantValidation"/> give every spec of a generated corpus the same verdict: boundary values of every field
/// (lengths in code points and UTF-16 units, NUL, trailing newlines, Unicode and ASCII whitespace, int32 overflow,
/// reserved names, pattern edges), each alone on a valid tenant and then mixed at random with a fixed seed.
/// </summary>
public sealed class TenantValidationCorpusTests
{
    private const string Namespace = "corpus";
    private const int MixedCases = 2400;
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private static readonly string Emoji = "😀";

    private static string Repeat(string s, int count) => string.Concat(Enumerable.Repeat(s, count));

    /// <summary>Values per field; a null value means the field is absent. Ordinary values first, edges after.</summary>
    private static readonly Dictionary<string, JsonNode?[]> Values = new(StringComparer.Ordinal)
    {
        ["slug"] = Strings("acme", "a", "a-b", "acme-2", Repeat("a", 57), Repeat("a", 58), Repeat("a", 63), Repeat("a", 64), "-a", "a-", "A", "1a", "",
            "pg-acme", "pg", "pgx", "public", "none", "postgres", "template0", "template1", "current-user", "session-user", "pg-database-owner",
            "acme\n", "acme\0", "ac_me", "ącme", "acme ", "public-1"),
        ["displayName"] = Strings("Acme", "A", "Acme Corp", "", "   ", "line\n", "tab\t", Repeat("a", 200), Repeat("a", 201), Repeat(Emoji, 100),
            Repeat(Emoji, 200), Repeat(Emoji, 201), Repeat("é", 200), Repeat("é", 201), "a\0b", "\0", "Ünïcödé", "\u3000"),
        ["server"] = Strings("default", "eu-2", Repeat("a", 63), Repeat("a", 64), "Default", "default\n", "", "-x", "x-", "eu_2"),
        ["databaseName"] = Strings("acme_db", "_acme", "a", Repeat("a", 57), Repeat("a", 58), Repeat("a", 63), "pg_tenant", "pg_", "pgx", "pg",
            "public", "none", "current_user", "session_user", "pg_database_owner", "postgres", "template0", "template1", "template2",
            "acme\n", "Acme", "1acme", "ac-me", "", "acme\0", "public_1", "nonе"),
        ["suspended"] = [JsonValue.Create(true), JsonValue.Create(false)],
        ["suspendedReason"] = Strings("late payment", "", Repeat("a", 500), Repeat("a", 501), Repeat(Emoji, 500), Repeat(Emoji, 501), "a\0", "late\n"),
        ["deletionPolicy"] = Strings("Retain", "Delete", "retain", "", "Drop", "Delete\n"),
        ["schemaVersion"] = Strings("1", "2", "2.1", "1.0.0", "", "1.", ".1", "v1", "1\n", Repeat("1", 32), Repeat("1", 33), "1..2", "١"),
        ["billingPlan"] = Strings("gold", "g", "gold-2", Repeat("a", 63), Repeat("a", 64), "-gold", "gold-", "Gold", "gold\n", "", "go ld"),
        ["contactEmail"] = Strings("ops@acme.example", "a@b.c", "ops@acme", "ops acme@x.y", "ops\t@x.y", "ops@x.y\n", "ops\u00a0x@x.y", "ops\vx@x.y",
            "ops\u0085x@x.y", "ops\u2028x@x.y", "ops\u3000x@x.y", "ops\0x@x.y", "ünïcode@exämple.com", Emoji + "@x.y", "a@@b.c", "@b.c", "a@b.",
            "a@" + Repeat("b", 248) + ".cd", "a@" + Repeat("b", 249) + ".cd", "a@b.c.d", "", "ops\u200bx@x.y", "ops\u180ex@x.y", "ops\rx@x.y"),
        ["maintenance"] = [JsonValue.Create(true), JsonValue.Create(false)],
        ["maxDbSizeMb"] = Numbers(1024, 1, 0, -1, int.MaxValue, int.MaxValue + 1L, long.MaxValue, int.MinValue - 1L, 10001),
        ["maxUsers"] = Numbers(50, 1, 0, -1, int.MaxValue, int.MaxValue + 1L, long.MaxValue, int.MinValue - 1L),
        ["maxAttachmentsGb"] = Numbers(10, 0, -1, 1, int.MaxValue, int.MaxValue + 1L, long.MaxValue),
        ["maxConnections"] = Numbers(20, 1, 0, -1, 10000, 10001, int.MaxValue, int.MaxValue + 1L),
        ["secretRef"] = Strings("k8s:econt-tenants/acme-db#password", "vault:secret/econt/tenants/acme#password", "env:ACME_DB", "mock:acme",
            "k8s:Bad/secret#key", "mock:acme\n", "mock:password=x", "mock:a@b", "vault:secret/token=x#k", "MOCK:acme", "mock:", "",
            "mock:acme ", "mock:" + Repeat("a", 507), "mock:" + Repeat("a", 508), "mock:acme\0", "vault:secret//x#k", "mock:hvs.abc", "env:lower",
            "vault:secret/PassWord=#k", "mock:a\u212a"),
        ["rotateEvery"] = Strings("720h", "30d", "1h", "99999d", "100000d", "0h", "24", "1w", "24h\n", "", "1.5h", "01d", "24H"),
    };

    /// <summary>metadata.name values (all valid Kubernetes names) used when spec.slug is absent.</summary>
    private static readonly string[] Names =
    [
        "acme", "a.b", "pg-x", "public", "none", "postgres", "current-user", "session-user", Repeat("a", 57), Repeat("a", 58), Repeat("a", 64),
        "1abc", "template0", "x-1", "a--b",
    ];

    [Fact]
    public async Task The_API_server_and_the_operator_give_every_spec_of_the_corpus_the_same_verdict()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions(), _ct);
        using var client = server.CreateClient();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: _ct);
        var context = PermissiveContext();

        var corpus = Corpus().ToList();
        var mismatches = new List<string>();
        var accepted = 0;
        foreach (var (label, tenant) in corpus)
        {
            var (apiAccepts, apiMessage, defaulted) = await ApiVerdictAsync(client, tenant);
            var operatorProblems = Problems(Deserialize(tenant), context);
            if (apiAccepts)
            {
                accepted++;
                operatorProblems = [.. operatorProblems, .. Problems(Deserialize(defaulted!), context)];
            }

            if (apiAccepts != (operatorProblems.Count == 0))
            {
                mismatches.Add($"{label}: API {(apiAccepts ? "accepts" : "refuses: " + apiMessage)}; operator {(operatorProblems.Count == 0 ? "accepts" : "refuses: " + string.Join(" ", operatorProblems))}\n  {tenant.ToJsonString()}");
            }
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"Corpus: {corpus.Count} specs, {accepted} accepted, {corpus.Count - accepted} refused by both.");
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {corpus.Count} verdicts differ:\n" + string.Join("\n", mismatches.Take(40)));
        Assert.True(corpus.Count >= 2000, $"the corpus has {corpus.Count} specs");

        // A corpus that one side accepts or refuses almost entirely would prove little.
        Assert.InRange(accepted, corpus.Count / 5, corpus.Count * 4 / 5);
    }

    [Fact]
    public void The_corpus_reaches_every_value_of_every_field()
    {
        var corpus = Corpus().ToList();

        foreach (var (field, values) in Values)
        {
            foreach (var value in values)
            {
                Assert.Contains(corpus, c => JsonNode.DeepEquals(Field(c.Tenant, field), value));
            }
        }
    }

    /// <summary>Every server name is configured and every version ships: the runtime rules have their own tests.</summary>
    private static TenantValidationContext PermissiveContext()
    {
        var servers = Values["server"].Select(v => (string)v!).Append("default").Distinct(StringComparer.Ordinal)
            .ToDictionary(s => s, s => new TenantServerFacts(s, "127.0.0.1", 5432, TenantServerFacts.AdministratorNames("corpus_administrator")), StringComparer.Ordinal);
        return new TenantValidationContext(
            servers,
            slug => SecretReference.Kubernetes("econt-tenants", $"tenant-{slug}-db", "password"),
            _ => SchemaVersion.Parse("1"));
    }

    private static IEnumerable<(string Label, JsonObject Tenant)> Corpus()
    {
        var index = 0;
        string Next() => $"t{index++}";

        // Each value alone on an otherwise valid tenant.
        foreach (var (field, values) in Values)
        {
            foreach (var value in values)
            {
                var tenant = Tenant(Next());
                Set(tenant, field, value?.DeepClone());
                if (field == "suspendedReason")
                {
                    Set(tenant, "suspended", JsonValue.Create(true));
                }

                yield return ($"{field}={Render(value)}", tenant);
            }
        }

        foreach (var name in Names)
        {
            yield return ($"metadata.name={name}", Tenant(name));
        }

        // Mixed at random (fixed seed): each field absent, ordinary (the first values) or an edge.
        var random = new Random(20261201);
        for (var i = 0; i < MixedCases; i++)
        {
            var tenant = Tenant(random.Next(6) == 0 ? Names[random.Next(Names.Length)] : Next());
            foreach (var (field, values) in Values)
            {
                var roll = random.Next(100);
                if (roll < 50)
                {
                    continue;
                }

                var value = roll < 90 ? values[random.Next(Math.Min(2, values.Length))] : values[random.Next(values.Length)];
                Set(tenant, field, value?.DeepClone());
            }

            // suspendedReason needs suspended: true; mostly honour that so the mix is not refused for it alone.
            if (Field(tenant, "suspendedReason") is not null && random.Next(4) > 0)
            {
                Set(tenant, "suspended", JsonValue.Create(true));
            }

            yield return ($"mixed #{i}", tenant);
        }
    }

    private static JsonObject Tenant(string name) => new()
    {
        ["apiVersion"] = $"{Operator.Api.V1Alpha1.Tenant.ApiGroup}/{Operator.Api.V1Alpha1.Tenant.ApiVersionName}",
        ["kind"] = Operator.Api.V1Alpha1.Tenant.KindName,
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
        ["spec"] = new JsonObject(),
    };

    private static readonly Dictionary<string, string[]> Paths = new(StringComparer.Ordinal)
    {
        ["server"] = ["database", "server"],
        ["databaseName"] = ["database", "name"],
        ["maxDbSizeMb"] = ["limits", "maxDbSizeMb"],
        ["maxUsers"] = ["limits", "maxUsers"],
        ["maxAttachmentsGb"] = ["limits", "maxAttachmentsGb"],
        ["maxConnections"] = ["limits", "maxConnections"],
        ["secretRef"] = ["credentials", "secretRef"],
        ["rotateEvery"] = ["credentials", "rotateEvery"],
    };

    private static void Set(JsonObject tenant, string field, JsonNode? value)
    {
        var path = Paths.GetValueOrDefault(field) ?? [field];
        var node = (JsonObject)tenant["spec"]!;
        foreach (var part in path[..^1])
        {
            node = (JsonObject)(node[part] ??= new JsonObject());
        }

        node[path[^1]] = value;
    }

    private static JsonNode? Field(JsonObject tenant, string field)
    {
        JsonNode? node = tenant["spec"];
        foreach (var part in Paths.GetValueOrDefault(field) ?? [field])
        {
            node = node?[part];
        }

        return node;
    }

    private async Task<(bool Accepted, string? Message, JsonObject? Defaulted)> ApiVerdictAsync(Kubernetes client, JsonObject tenant)
    {
        try
        {
            var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync(
                tenant, Operator.Api.V1Alpha1.Tenant.ApiGroup, Operator.Api.V1Alpha1.Tenant.ApiVersionName, Namespace,
                Operator.Api.V1Alpha1.Tenant.Plural, dryRun: "All", cancellationToken: _ct);
            return (true, null, JsonNode.Parse(JsonSerializer.Serialize(created))!.AsObject());
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.UnprocessableEntity)
        {
            return (false, e.Response.Content, null);
        }
    }

    private static Tenant Deserialize(JsonObject tenant) => KubernetesJson.Deserialize<Tenant>(tenant.ToJsonString());

    private static IReadOnlyList<string> Problems(Tenant tenant, TenantValidationContext context) =>
        TenantValidation.Of(tenant, context) is TenantValidation.Invalid invalid ? invalid.Problems : [];

    private static JsonNode?[] Strings(params string[] values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];

    private static JsonNode?[] Numbers(params long[] values) => [.. values.Select(v => (JsonNode?)JsonValue.Create(v))];

    private static string Render(JsonNode? value)
    {
        var text = value?.ToJsonString() ?? "absent";
        return text.Length <= 40 ? text : text[..40] + "…";
    }
}
