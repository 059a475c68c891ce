using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// Converges one object. Level-based: called with the latest cached object whatever happened to it (added,
/// changed, resynced); never told which event fired. Must be idempotent. Objects already gone from the cluster are
/// not passed (their cleanup ran behind the finalizer while they still existed). An exception counts as a transient
/// error.
/// </summary>
public interface IReconciler<in T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    Task<ReconcileResult> ReconcileAsync(T resource, CancellationToken cancellationToken);
}
