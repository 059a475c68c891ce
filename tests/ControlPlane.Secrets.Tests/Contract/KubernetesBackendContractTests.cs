using System.Text;
using ControlPlane.Core.Secrets;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets.Cloud;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Kubernetes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Secrets.Tests.Contract;

/// <summary>
/// The contract against the in-process Kubernetes API server through the real client: denials and throttling are the
/// API server's 403 and 429 Status answers; Secrets keep no version history (resourceVersion is not one).
/// </summary>
public sealed class KubernetesBackendContractTests : BackendContract
{
    private const string Namespace = "econt-tenants";
    private const string SecretsPath = $"/api/v1/namespaces/{Namespace}/secrets";

    protected override async ValueTask<ContractHarness> StartAsync(CancellationToken cancellationToken)
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, cancellationToken);
        var admin = server.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: cancellationToken);
        return new ContractHarness(Backend(server), (name, key) => SecretReference.Parse($"k8s:{Namespace}/{name}#{key}"))
        {
            Second = Backend(server),
            Deny = name => server.FailNext("*", $"{SecretsPath}/{name}", 403, count: 100),
            Throttle = requests => server.FailNext("*", $"{SecretsPath}*", 429, requests, TimeSpan.Zero),
            PutForeign = (reference, json) => admin.CoreV1.CreateNamespacedSecretAsync(new V1Secret
            {
                Metadata = new V1ObjectMeta { Name = reference.Name },
                Data = JsonSecretDocument.Parse(json, reference).ToDictionary(pair => pair.Key, pair => Encoding.UTF8.GetBytes(pair.Value)),
            }, Namespace).GetAwaiter().GetResult(),
            Dispose = async () =>
            {
                admin.Dispose();
                await server.DisposeAsync();
            },
        };
    }

    private static KubernetesSecretBackend Backend(KubeApiServer server) =>
        new(server.CreateClient(), new KubernetesSecretOptions { Namespace = Namespace }, NullLogger<KubernetesSecretBackend>.Instance);
}
