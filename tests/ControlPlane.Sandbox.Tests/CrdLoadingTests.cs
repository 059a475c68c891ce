using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Schema;
using k8s;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class CrdLoadingTests : IDisposable
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private readonly string _directory = Directory.CreateTempSubdirectory("kube-api-crds-").FullName;

    [Fact]
    public async Task Missing_and_empty_crd_directories_serve_no_custom_resources()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            LoadRepositoryCrds = false,
            CrdDirectories = [_directory, Path.Combine(_directory, "does-not-exist")],
        }, Ct);

        Assert.Empty(server.CustomResources);
        using var client = server.CreateClient();
        Assert.Contains("default", (await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct)).Items.Select(n => n.Metadata.Name));
    }

    [Fact]
    public async Task Crds_are_read_from_the_given_directories_every_document_of_every_file()
    {
        await using var server = await StartAsync();

        Assert.Contains("widgets.test.econt.io", server.CustomResources);
        Assert.Contains("gadgets.test.econt.io", server.CustomResources);
    }

    [Fact]
    public async Task The_repository_config_crds_directory_is_found_by_walking_up_to_the_solution()
    {
        var root = RepositoryCrds.FindRepositoryRoot(AppContext.BaseDirectory);

        Assert.NotNull(root);
        Assert.True(File.Exists(Path.Combine(root, "ControlPlane.sln")));
        await using var server = await KubeApiServer.StartAsync(cancellationToken: Ct);
        var expected = Directory.Exists(Path.Combine(root, "config", "crds"))
            ? CrdLoader.LoadDirectory(Path.Combine(root, "config", "crds")).Select(t => t.GroupResource).ToList()
            : [];
        Assert.Equal(expected.Order(StringComparer.Ordinal), server.CustomResources.Order(StringComparer.Ordinal));
    }

    /// <summary>Every CRD the repository ships is served: each served version lists, and an empty object is validated.</summary>
    [Fact]
    public async Task Every_crd_in_config_crds_loads_and_serves_each_version()
    {
        var directory = RepositoryCrds.FindDirectory(AppContext.BaseDirectory);
        var files = directory is not null && Directory.Exists(directory) ? Directory.GetFiles(directory, "*.yaml") : [];
        if (files.Length == 0)
        {
            Assert.Skip($"no CRD in {directory ?? "config/crds"} yet");
        }

        await using var server = await KubeApiServer.StartAsync(cancellationToken: Ct);
        using var client = server.CreateClient();
        foreach (var type in CrdLoader.LoadDirectory(directory!))
        {
            foreach (var version in type.Versions)
            {
                var schemaNodes = Descendants(version.Schema).ToList();
                foreach (var pattern in schemaNodes.Select(n => (string?)n["pattern"]).OfType<string>())
                {
                    _ = new System.Text.RegularExpressions.Regex(pattern);
                }

                // Name the gap: CEL rules this server cannot evaluate are ignored, so list them in the test output.
                foreach (var rule in schemaNodes.SelectMany(n => (n["x-kubernetes-validations"] as JsonArray ?? []).Select(r => (string?)r?["rule"])).OfType<string>())
                {
                    if (CelRules.Parse(rule) is null)
                    {
                        TestContext.Current.TestOutputHelper?.WriteLine($"{type.GroupResource}/{version.Name}: CEL rule not evaluated by the test server: {rule}");
                    }
                }

                var list = type.Namespaced
                    ? await client.CustomObjects.ListNamespacedCustomObjectAsync(type.Group, version.Name, "default", type.Plural, cancellationToken: Ct)
                    : await client.CustomObjects.ListClusterCustomObjectAsync(type.Group, version.Name, type.Plural, cancellationToken: Ct);
                Assert.Equal(type.ListKind, (string?)ToNode(list)["kind"]);
            }
        }
    }

    [Fact]
    public void Yaml_scalars_are_typed_as_kubectl_reads_them()
    {
        var path = Path.Combine(_directory, "typed.yaml");
        File.WriteAllText(path, """
            apiVersion: apiextensions.k8s.io/v1
            kind: CustomResourceDefinition
            metadata: {name: things.example.com}
            spec:
              group: example.com
              scope: Cluster
              names: {kind: Thing, plural: things}
              versions:
                - name: v1alpha1
                  served: true
                  storage: false
                  schema: {openAPIV3Schema: {type: object}}
                - name: v2
                  served: true
                  storage: true
                  schema:
                    openAPIV3Schema:
                      type: object
                      properties:
                        spec:
                          type: object
                          properties:
                            n: {type: integer, maximum: 5, default: 3}
                            s: {type: string, default: "007"}
                            b: {type: boolean, default: false}
                - name: v1
                  served: false
                  storage: false
            """);

        var type = Assert.Single(CrdLoader.LoadFile(path));

        Assert.False(type.Namespaced);
        Assert.Equal("thing", type.Singular);
        Assert.Equal(["v2", "v1alpha1"], type.Versions.Select(v => v.Name));
        var properties = type.Versions[0].Schema!["properties"]!["spec"]!["properties"]!;
        Assert.Equal(System.Text.Json.JsonValueKind.Number, JsonValueKindOf(properties["n"]!["default"]));
        Assert.Equal("007", (string?)properties["s"]!["default"]);
        Assert.Equal(System.Text.Json.JsonValueKind.False, JsonValueKindOf(properties["b"]!["default"]));
    }

    [Fact]
    public void A_non_v1_crd_is_refused_with_the_file_named()
    {
        var path = Path.Combine(_directory, "old.yaml");
        File.WriteAllText(path, "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nspec: {}\n");

        var e = Assert.Throws<InvalidDataException>(() => CrdLoader.LoadFile(path).ToList());

        Assert.Contains("old.yaml", e.Message, StringComparison.Ordinal);
    }

    private static IEnumerable<JsonObject> Descendants(JsonNode? node) => node switch
    {
        JsonObject obj => new[] { obj }.Concat(obj.SelectMany(p => Descendants(p.Value))),
        JsonArray array => array.SelectMany(Descendants),
        _ => [],
    };

    private static System.Text.Json.JsonValueKind JsonValueKindOf(JsonNode? node) => node!.GetValueKind();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
