using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// Adds and removes a finalizer with conflict retry. Add it before any external side effect; remove it only after
/// cleanup finished, since removing the last finalizer lets the API server delete the object.
/// </summary>
public sealed class Finalizers<T>(IResourceClient<T> client, string finalizer)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    public string Name => finalizer;

    public static bool IsDeleting(T item) => item.Metadata.DeletionTimestamp is not null;

    public bool IsPresent(T item) => item.Metadata.Finalizers?.Contains(finalizer) == true;

    /// <returns>The object with the finalizer; null when it no longer exists.</returns>
    public Task<T?> EnsureAsync(T item, CancellationToken cancellationToken) =>
        ConflictRetry.WriteAsync(client, item, i => !IsDeleting(i) && i.AddFinalizer(finalizer), client.ReplaceAsync, cancellationToken);

    /// <returns>The object without the finalizer (null when that let the server delete it).</returns>
    public Task<T?> RemoveAsync(T item, CancellationToken cancellationToken) =>
        ConflictRetry.WriteAsync(client, item, i => i.RemoveFinalizer(finalizer), client.ReplaceAsync, cancellationToken);
}
