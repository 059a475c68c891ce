using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// Optimistic-concurrency writes: mutate the object we have, PUT it with its resourceVersion, and on 409 re-read the
/// object and apply the same mutation to the fresh copy. The mutation decides from the object in hand, so a retry
/// never writes a decision taken on stale data.
/// </summary>
public static class ConflictRetry
{
    public const int MaxAttempts = 5;

    /// <summary>
    /// Applies <c>mutate</c> (which returns false when nothing needs writing) and writes; the result is the object as
    /// last written or read, or null when it no longer exists.
    /// </summary>
    public static async Task<T?> WriteAsync<T>(
        IResourceClient<T> client,
        T current,
        Func<T, bool> mutate,
        Func<T, CancellationToken, Task<T>> write,
        CancellationToken cancellationToken)
        where T : class, IKubernetesObject<V1ObjectMeta>
    {
        var item = current;
        for (var attempt = 1; ; attempt++)
        {
            if (!mutate(item))
            {
                return item;
            }

            try
            {
                return await write(item, cancellationToken);
            }
            catch (Exception e) when (ApiErrors.IsConflict(e) && attempt < MaxAttempts)
            {
                var fresh = await client.GetAsync(item.Metadata.NamespaceProperty, item.Metadata.Name, cancellationToken);
                if (fresh is null)
                {
                    return null;
                }

                item = fresh;
            }
        }
    }
}
