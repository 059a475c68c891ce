using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

public sealed class DiscoveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_client_reads_version_core_versions_and_groups()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var version = await client.Version.GetCodeAsync(Ct);
        var core = await client.Core.GetAPIVersionsAsync(Ct);
        var groups = await client.Apis.GetAPIVersionsAsync(Ct);
        var coreResources = await client.CoreV1.GetAPIResourcesAsync(Ct);

        Assert.Equal("1", version.Major);
        Assert.Equal(["v1"], core.Versions);
        Assert.Contains(groups.Groups, g => g.Name == "coordination.k8s.io" && g.PreferredVersion.Version == "v1");
        var test = Assert.Single(groups.Groups, g => g.Name == "test.econt.io");
        Assert.Equal(["v1", "v1beta1"], test.Versions.Select(v => v.Version));
        Assert.Equal("v1", test.PreferredVersion.Version);
        Assert.Contains(coreResources.Resources, r => r.Name == "secrets" && r.Namespaced && r.Kind == "Secret");
        Assert.Contains(coreResources.Resources, r => r.Name == "namespaces" && !r.Namespaced && r.ShortNames.Contains("ns"));
    }

    [Fact]
    public async Task A_group_version_lists_its_resources_with_short_names_categories_and_status_subresource()
    {
        await using var server = await StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        var list = JsonNode.Parse(await http.GetStringAsync(new Uri("apis/test.econt.io/v1", UriKind.Relative), Ct))!;

        Assert.Equal("APIResourceList", (string?)list["kind"]);
        Assert.Equal("test.econt.io/v1", (string?)list["groupVersion"]);
        var resources = list["resources"]!.AsArray();
        var widgets = resources.Single(r => (string?)r!["name"] == "widgets")!;
        Assert.Equal("wd", (string?)widgets["shortNames"]![0]);
        Assert.Equal("econt", (string?)widgets["categories"]![0]);
        Assert.True((bool?)widgets["namespaced"]);
        Assert.Contains(resources, r => (string?)r!["name"] == "widgets/status");
        Assert.Contains(resources, r => (string?)r!["name"] == "gadgets" && (bool?)r["namespaced"] == false);
        Assert.DoesNotContain(resources, r => (string?)r!["name"] == "gadgets/status");
    }

    [Fact]
    public async Task Aggregated_discovery_requests_get_plain_json_so_clients_fall_back_to_legacy_discovery()
    {
        await using var server = await StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("apis", UriKind.Relative));
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"));
        request.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse("application/json"));

        using var response = await http.SendAsync(request, Ct);

        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        Assert.Empty(response.Content.Headers.ContentType.Parameters);
        Assert.Equal("APIGroupList", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync(Ct))!["kind"]);
    }

    [Fact]
    public async Task Unknown_paths_and_openapi_v2_are_404_with_a_status_body_and_openapi_v3_lists_group_versions()
    {
        await using var server = await StartAsync();
        using var http = new HttpClient { BaseAddress = server.BaseUri };

        using var openapiV2 = await http.GetAsync(new Uri("openapi/v2", UriKind.Relative), Ct);
        var openapiV3 = JsonNode.Parse(await http.GetStringAsync(new Uri("openapi/v3", UriKind.Relative), Ct))!;
        using var unknownGroup = await http.GetAsync(new Uri("apis/nope.example.com/v1/things", UriKind.Relative), Ct);

        Assert.Equal(404, (int)openapiV2.StatusCode);
        Assert.NotNull(openapiV3["paths"]!["api/v1"]);
        Assert.Equal(404, (int)unknownGroup.StatusCode);
        Assert.Equal("NotFound", (string?)JsonNode.Parse(await unknownGroup.Content.ReadAsStringAsync(Ct))!["reason"]);
    }

    [Fact]
    public async Task Loaded_crds_are_served_read_only_as_established_definitions()
    {
        await using var server = await StartAsync();
        using var client = server.CreateClient();

        var crds = await client.ApiextensionsV1.ListCustomResourceDefinitionAsync(cancellationToken: Ct);
        var widgets = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("widgets.test.econt.io", cancellationToken: Ct);

        Assert.Contains("gadgets.test.econt.io", crds.Items.Select(c => c.Metadata.Name));
        Assert.Equal("test.econt.io", widgets.Spec.Group);
        Assert.Equal(["v1", "v1beta1"], widgets.Spec.Versions.Select(v => v.Name));
        Assert.Contains(widgets.Status.Conditions, c => c.Type == "Established" && c.Status == "True");
        Assert.Equal(["v1"], widgets.Status.StoredVersions);
        var e = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() => client.ApiextensionsV1.DeleteCustomResourceDefinitionAsync("widgets.test.econt.io", cancellationToken: Ct));
        Assert.Equal(405, (int)e.Response.StatusCode);
    }

    [Fact]
    public async Task A_written_kubeconfig_configures_the_official_client()
    {
        await using var server = await StartAsync();
        var path = Path.Combine(Path.GetTempPath(), $"kubeconfig-{Guid.NewGuid():N}");
        try
        {
            server.WriteKubeconfig(path);
            using var client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(path));

            var namespaces = await client.CoreV1.ListNamespaceAsync(cancellationToken: Ct);

            Assert.Contains("default", namespaces.Items.Select(n => n.Metadata.Name));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
