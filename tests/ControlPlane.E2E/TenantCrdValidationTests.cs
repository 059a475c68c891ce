using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ControlPlane.Testing;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.E2E;

/// <summary>
/// The Tenant CRD's validation on a real API server: the CEL rules (immutability, presence, forbidden fragments,
/// reserved names) that the in-process test server does not evaluate.
/// </summary>
public sealed class TenantCrdValidationTests
{
    private const string Group = "controlplane.econt.io";
    private const string Version = "v1alpha1";
    private const string Namespace = "tenants";
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_API_server_refuses_tenants_that_break_the_CRD_rules_and_accepts_valid_ones()
    {
        await using var cluster = await K3sCluster.StartOrSkipAsync(_ct);
        var client = cluster.Client;
        await InstallTenantCrdAsync(client);
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: _ct);

        await Create(client, Tenant("acme", """{"slug":"acme","credentials":{"secretRef":"k8s:tenants/acme-db#password"}}"""));
        await Refused(() => Create(client, Tenant("leaky", """{"credentials":{"secretRef":"env:API_KEY"}}""")), "secretRef must be a reference");
        await Refused(() => Create(client, Tenant("reserved", """{"database":{"name":"postgres"}}""")), "must not be postgres");
        await Refused(() => Create(client, Tenant("why", """{"suspendedReason":"unpaid"}""")), "suspendedReason is only allowed");

        await Refused(() => Update(client, "acme", spec => spec["slug"] = "acme2"), "slug is immutable");
        await Refused(() => Update(client, "acme", spec => spec.Remove("slug")), "slug is immutable");
        await Refused(() => Update(client, "acme", spec => spec["database"]!["server"] = "other"), "database.server is immutable");
        await Update(client, "acme", spec => spec["displayName"] = "ACME");
    }

    private static JsonObject Tenant(string name, string spec) => new()
    {
        ["apiVersion"] = $"{Group}/{Version}",
        ["kind"] = "Tenant",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = Namespace },
        ["spec"] = JsonNode.Parse(spec),
    };

    private Task Create(Kubernetes client, JsonObject tenant) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync(tenant, Group, Version, Namespace, "tenants", cancellationToken: _ct);

    private async Task Update(Kubernetes client, string name, Action<JsonObject> change)
    {
        var stored = (JsonElement)await client.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, Namespace, "tenants", name, _ct);
        var tenant = JsonNode.Parse(stored.GetRawText())!.AsObject();
        change(tenant["spec"]!.AsObject());
        await client.CustomObjects.ReplaceNamespacedCustomObjectAsync(tenant, Group, Version, Namespace, "tenants", name, cancellationToken: _ct);
    }

    private static async Task Refused(Func<Task> write, string message)
    {
        var error = await Assert.ThrowsAsync<HttpOperationException>(write);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, error.Response.StatusCode);
        Assert.Contains(message, error.Response.Content, StringComparison.Ordinal);
    }

    private async Task InstallTenantCrdAsync(Kubernetes client)
    {
        var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(
            await File.ReadAllTextAsync(Repository.Path("config", "crds", "controlplane.econt.io_tenants.yaml"), _ct));
        await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: _ct);

        // Served once a LIST of the new resource stops answering 404.
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await client.CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, Namespace, "tenants", cancellationToken: _ct);
                return;
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound && attempt < 120)
            {
                await Task.Delay(500, _ct);
            }
        }
    }
}
