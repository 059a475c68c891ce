using System.Text;
using ControlPlane.Testing;
using k8s;
using Testcontainers.K3s;

namespace ControlPlane.E2E;

/// <summary>A throw-away K3s cluster for one test, or a skip that says why there cannot be one here.</summary>
internal sealed class K3sCluster : IAsyncDisposable
{
    private readonly K3sContainer _container;

    private K3sCluster(K3sContainer container, Kubernetes client)
    {
        _container = container;
        Client = client;
    }

    public Kubernetes Client { get; }

    public static async Task<K3sCluster> StartOrSkipAsync(CancellationToken cancellationToken)
    {
        if (await DockerEngine.UnavailableReasonAsync(cancellationToken) is { } reason)
        {
            Assert.Skip($"K3s end-to-end tests need a Docker engine: {reason}.");
        }

        var container = new K3sBuilder("rancher/k3s:v1.31.4-k3s1").Build();
        await container.StartAsync(cancellationToken);
        var kubeconfig = await container.GetKubeconfigAsync();
        await using var stream = new MemoryStream(Encoding.UTF8.GetBytes(kubeconfig));
        var configuration = await KubernetesClientConfiguration.BuildConfigFromConfigFileAsync(stream);
        return new K3sCluster(container, new Kubernetes(configuration));
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _container.DisposeAsync();
    }
}
