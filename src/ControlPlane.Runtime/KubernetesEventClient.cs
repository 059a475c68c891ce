using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary><see cref="IEventClient"/> over KubernetesClient's core/v1 operations.</summary>
public sealed class KubernetesEventClient(IKubernetes kubernetes) : IEventClient
{
    public Task<Corev1Event> CreateAsync(Corev1Event item, CancellationToken cancellationToken) =>
        kubernetes.CoreV1.CreateNamespacedEventAsync(item, item.Metadata.NamespaceProperty, cancellationToken: cancellationToken);

    public async Task<Corev1Event?> GetAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            return await kubernetes.CoreV1.ReadNamespacedEventAsync(name, @namespace, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    public Task<Corev1Event> ReplaceAsync(Corev1Event item, CancellationToken cancellationToken) =>
        kubernetes.CoreV1.ReplaceNamespacedEventAsync(
            item, item.Metadata.Name, item.Metadata.NamespaceProperty, cancellationToken: cancellationToken);
}
