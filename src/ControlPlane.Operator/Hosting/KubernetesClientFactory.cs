using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>Builds the API client from <see cref="OperatorOptions.Kubeconfig"/>, else KUBECONFIG / ~/.kube/config / in-cluster.</summary>
internal static class KubernetesClientFactory
{
    public static IKubernetes Create(OperatorOptions options)
    {
        var config = options.Kubeconfig is { Length: > 0 } path
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.KubeContext)
            : KubernetesClientConfiguration.BuildDefaultConfig();
        return new Kubernetes(config);
    }
}
