using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>Builds the API client from <see cref="OperatorOptions.Kubeconfig"/>, else KUBECONFIG / ~/.kube/config / in-cluster.</summary>
public static class KubernetesClientFactory
{
    /// <summary>The User-Agent of every request, so audit logs (and the RBAC test) can tell the operator's calls apart.</summary>
    public const string UserAgent = "controlplane-operator";

    public static IKubernetes Create(OperatorOptions options)
    {
        var config = options.Kubeconfig is { Length: > 0 } path
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.KubeContext)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        return Create(config);
    }

    /// <summary>A client for <paramref name="config"/>; <paramref name="handlers"/> (outermost first) sit between it and the network.</summary>
    public static IKubernetes Create(KubernetesClientConfiguration config, params DelegatingHandler[] handlers) =>
        new Kubernetes(config, [new UserAgentHandler(), .. handlers]);

    private sealed class UserAgentHandler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Headers.UserAgent.Clear();
            request.Headers.UserAgent.ParseAdd(UserAgent);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
