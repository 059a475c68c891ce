using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// The narrow slice of the Kubernetes API the runtime and reconcilers use for one resource kind. Everything the
/// operator does to its resources goes through here, which is what config/rbac grants (tenants: list, watch, get,
/// update; tenants/status: update). Errors surface as <see cref="k8s.Autorest.HttpOperationException"/>, except an
/// expired resourceVersion, which surfaces as <see cref="ResourceExpiredException"/>.
/// </summary>
public interface IResourceClient<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    /// <summary>LIST one page; <paramref name="namespace"/> null lists every namespace.</summary>
    Task<ResourcePage<T>> ListAsync(string? @namespace, string? continueToken, int limit, CancellationToken cancellationToken);

    /// <summary>WATCH from <paramref name="resourceVersion"/> with bookmarks; ends cleanly at <paramref name="timeout"/>.</summary>
    IAsyncEnumerable<WatchEvent<T>> WatchAsync(string? @namespace, string resourceVersion, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>GET; null when the object does not exist.</summary>
    Task<T?> GetAsync(string @namespace, string name, CancellationToken cancellationToken);

    /// <summary>PUT the object (metadata and spec; the server ignores status). 409 when the resourceVersion is stale.</summary>
    Task<T> ReplaceAsync(T resource, CancellationToken cancellationToken);

    /// <summary>PUT <c>/status</c> (only status changes). 409 when the resourceVersion is stale.</summary>
    Task<T> ReplaceStatusAsync(T resource, CancellationToken cancellationToken);
}
