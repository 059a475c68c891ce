using ControlPlane.Testing;
using k8s;
using k8s.Models;

namespace ControlPlane.E2E;

public sealed class ShippedCrdTests
{
    [Fact]
    public async Task Every_shipped_crd_is_established_by_a_real_api_server()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await K3sCluster.StartOrSkipAsync(cancellationToken);
        var files = Directory.GetFiles(Repository.Path("config", "crds"), "*.yaml");
        Assert.NotEmpty(files);

        foreach (var file in files)
        {
            var crd = KubernetesYaml.Deserialize<V1CustomResourceDefinition>(await File.ReadAllTextAsync(file, cancellationToken));
            await cluster.Client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: cancellationToken);
            await WaitUntilEstablishedAsync(cluster.Client, crd.Metadata.Name, cancellationToken);
        }
    }

    private static async Task WaitUntilEstablishedAsync(Kubernetes client, string name, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: timeout.Token);
            if (crd.Status?.Conditions?.Any(c => c is { Type: "Established", Status: "True" }) == true)
            {
                return;
            }

            await Task.Delay(500, timeout.Token);
        }
    }
}
