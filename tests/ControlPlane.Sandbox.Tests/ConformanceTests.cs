using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using ControlPlane.Testing;
using k8s;
using k8s.Models;
using Testcontainers.K3s;

namespace ControlPlane.Sandbox.KubeApi.Tests;

/// <summary>The same scenarios against the in-process server and, where Docker exists, against K3s.</summary>
public sealed class ConformanceTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task The_in_process_server_passes_the_conformance_scenarios()
    {
        await using var server = await TestServer.StartAsync();
        using var client = server.CreateClient();

        await ConformanceScenarios.RunAllAsync(client);
    }

    [Fact]
    public async Task K3s_passes_the_same_conformance_scenarios()
    {
        if (await DockerEngine.UnavailableReasonAsync(Ct) is { } reason)
        {
            Assert.Skip($"K3s conformance needs a Docker engine: {reason}");
        }

        await using var k3s = new K3sBuilder("rancher/k3s:v1.32.3-k3s1").Build();
        await k3s.StartAsync(Ct);
        var kubeconfig = await k3s.GetKubeconfigAsync();
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(kubeconfig));
        using var client = new Kubernetes(await KubernetesClientConfiguration.BuildConfigFromConfigFileAsync(stream));
        foreach (var file in Directory.GetFiles(TestServer.CrdDirectory, "*.yaml"))
        {
            foreach (var crd in KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file, Ct)).OfType<V1CustomResourceDefinition>())
            {
                await client.ApiextensionsV1.CreateCustomResourceDefinitionAsync(crd, cancellationToken: Ct);
                await WaitEstablishedAsync(client, crd.Metadata.Name);
            }
        }

        await ConformanceScenarios.RunAllAsync(client);
    }

    private static async Task WaitEstablishedAsync(Kubernetes client, string name)
    {
        for (var i = 0; i < 120; i++)
        {
            var crd = await client.ApiextensionsV1.ReadCustomResourceDefinitionAsync(name, cancellationToken: Ct);
            if (crd.Status?.Conditions?.Any(c => c.Type == "Established" && c.Status == "True") == true)
            {
                return;
            }

            await Task.Delay(500, Ct);
        }

        Assert.Fail($"CRD {name} was not established");
    }
}
