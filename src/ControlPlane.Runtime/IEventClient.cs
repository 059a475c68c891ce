using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>The core/v1 Event calls the recorder makes (RBAC: events create, get, update).</summary>
public interface IEventClient
{
    Task<Corev1Event> CreateAsync(Corev1Event item, CancellationToken cancellationToken);

    Task<Corev1Event?> GetAsync(string @namespace, string name, CancellationToken cancellationToken);

    Task<Corev1Event> ReplaceAsync(Corev1Event item, CancellationToken cancellationToken);
}
