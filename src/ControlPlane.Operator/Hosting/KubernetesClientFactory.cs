using ControlPlane.Core.Configuration;
using k8s;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// Finds the Kubernetes API server to talk to: <see cref="OperatorOptions.Kubeconfig"/>, else <c>KUBECONFIG</c>, else
/// <c>~/.kube/config</c>, else the pod's in-cluster configuration. When none exists the caller decides: dev starts the
/// sandbox (<see cref="SandboxCluster"/>), staging and prod stop with <see cref="MissingConfigurationMessage"/>.
/// </summary>
public static class KubernetesClientFactory
{
    /// <summary>The User-Agent of every request, so audit logs (and the RBAC test) can tell the operator's calls apart.</summary>
    public const string UserAgent = "controlplane-operator";

    public const string KubeconfigVariable = "KUBECONFIG";

    /// <summary>One line naming what to set; KubernetesClient's own fallback (http://localhost:8080) would be this process's own port.</summary>
    public const string MissingConfigurationMessage =
        "no Kubernetes configuration found: set KUBECONFIG (or Operator__Kubeconfig) to a kubeconfig file, " +
        "or run in a pod with a service account; in dev (ENVIRONMENT unset) the operator starts its sandbox instead.";

    /// <summary>The configuration to use, or null when there is none (no kubeconfig anywhere, not in a pod).</summary>
    public static KubernetesClientConfiguration? FindConfiguration(OperatorOptions options, Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(variable);
        if (options.Kubeconfig is { Length: > 0 } path)
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.KubeContext);
        }

        var home = variable("HOME") ?? variable("USERPROFILE");
        var kubeconfig = variable(KubeconfigVariable) is { Length: > 0 } configured
            ? configured.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)[0]
            : home is { Length: > 0 } ? Path.Combine(home, ".kube", "config") : null;
        if (kubeconfig is not null && (variable(KubeconfigVariable) is { Length: > 0 } || File.Exists(kubeconfig)))
        {
            // A KUBECONFIG that names a missing file is an error (KubeConfigException), not a reason to fall back.
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig, options.KubeContext);
        }

        return KubernetesClientConfiguration.IsInCluster() ? KubernetesClientConfiguration.InClusterConfig() : null;
    }

    /// <summary>The configuration <see cref="FindForCommand"/> finds, or a configuration error saying where it looked.</summary>
    public static KubernetesClientConfiguration RequireForCommand(Core.Configuration.DeploymentEnvironment environment) =>
        FindForCommand(environment) ?? throw new Core.Configuration.ConfigurationException(MissingConfigurationMessage);

    /// <summary>
    /// For the one-shot commands (resolve, doctor): the configuration found as the operator finds it, else, in dev, the
    /// sandbox's kubeconfig when a sandbox has written one; null when there is none.
    /// </summary>
    public static KubernetesClientConfiguration? FindForCommand(Core.Configuration.DeploymentEnvironment environment)
    {
        if (FindConfiguration(new OperatorOptions(), Environment.GetEnvironmentVariable) is { } found)
        {
            return found;
        }

        return environment == Core.Configuration.DeploymentEnvironment.Dev && DevDirectory.Locate() is { } dev
               && File.Exists(SandboxCluster.KubeconfigOf(dev))
            ? KubernetesClientConfiguration.BuildConfigFromConfigFile(SandboxCluster.KubeconfigOf(dev))
            : null;
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
