using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// Writes status through <c>/status</c>, and only when the desired status differs from the stored one (compared as
/// JSON), so a converged object costs no writes and causes no watch events. 409 → re-read and apply again.
/// </summary>
public sealed class StatusWriter<T, TStatus>(IResourceClient<T> client)
    where T : class, IKubernetesObject<V1ObjectMeta>, IStatus<TStatus>
    where TStatus : class
{
    /// <summary>
    /// Sets the status <c>desired</c> computes from the (possibly re-read) object; <c>desired</c> must be pure. Returns
    /// the object after the write, or as it was when no write was needed; null when it no longer exists.
    /// </summary>
    public Task<T?> UpdateAsync(T current, Func<T, TStatus> desired, CancellationToken cancellationToken) =>
        ConflictRetry.WriteAsync(
            client,
            current,
            item =>
            {
                var next = desired(item);
                if (KubernetesJson.Serialize(next) == KubernetesJson.Serialize(item.Status))
                {
                    return false;
                }

                item.Status = next;
                return true;
            },
            client.ReplaceStatusAsync,
            cancellationToken);

    /// <summary>
    /// Sets <paramref name="desired"/> as the status of exactly this version of the object, without re-reading on 409:
    /// for a controller whose status was planned together with other writes from this version, so a conflict means
    /// plan again. Returns the object after the write, <paramref name="current"/> itself when no write was needed, null on 409.
    /// <paramref name="current"/> is left as it was.
    /// </summary>
    public async Task<T?> UpdateOnceAsync(T current, TStatus desired, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(current);
        if (KubernetesJson.Serialize(desired) == KubernetesJson.Serialize(current.Status))
        {
            return current;
        }

        var previous = current.Status;
        current.Status = desired;
        try
        {
            return await client.ReplaceStatusAsync(current, cancellationToken);
        }
        catch (Exception e) when (ApiErrors.IsConflict(e))
        {
            return null;
        }
        finally
        {
            current.Status = previous;
        }
    }
}
