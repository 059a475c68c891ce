using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// <see cref="IResourceClient{T}"/> over KubernetesClient's custom-object operations. A cluster-scoped kind (the
/// TenantDatabaseServer) is addressed with an empty namespace.
/// </summary>
public sealed class KubernetesResourceClient<T>(IKubernetes kubernetes, ResourceDescriptor resource) : IResourceClient<T>
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ICustomObjectsOperations _api = kubernetes.CustomObjects;

    public async Task<ResourcePage<T>> ListAsync(string? @namespace, string? continueToken, int limit, CancellationToken cancellationToken)
    {
        using var response = @namespace is null
            ? await _api.ListClusterCustomObjectWithHttpMessagesAsync<ListBody>(
                resource.Group, resource.Version, resource.Plural, continueParameter: continueToken, limit: limit, watch: false,
                cancellationToken: cancellationToken)
            : await _api.ListNamespacedCustomObjectWithHttpMessagesAsync<ListBody>(
                resource.Group, resource.Version, @namespace, resource.Plural, continueParameter: continueToken, limit: limit,
                watch: false, cancellationToken: cancellationToken);
        var body = response.Body;
        var next = string.IsNullOrEmpty(body.Metadata?.ContinueProperty) ? null : body.Metadata.ContinueProperty;
        return new ResourcePage<T>(body.Items ?? [], body.Metadata?.ResourceVersion ?? "", next);
    }

    public async IAsyncEnumerable<WatchEvent<T>> WatchAsync(
        string? @namespace, string resourceVersion, TimeSpan timeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        KubernetesException? streamError = null;
        void OnError(Exception e) => streamError ??= e as KubernetesException;

        var timeoutSeconds = (int)Math.Max(1, timeout.TotalSeconds);
        HttpOperationResponse<object> response;
        try
        {
            // Await the response headers first: a 200 here means the watch is established, which the informer needs
            // to know (it resets its backoff) even when no event follows for minutes.
            response = @namespace is null
                ? await _api.ListClusterCustomObjectWithHttpMessagesAsync<object>(
                    resource.Group, resource.Version, resource.Plural, allowWatchBookmarks: true, resourceVersion: resourceVersion,
                    timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: cancellationToken)
                : await _api.ListNamespacedCustomObjectWithHttpMessagesAsync<object>(
                    resource.Group, resource.Version, @namespace, resource.Plural, allowWatchBookmarks: true,
                    resourceVersion: resourceVersion, timeoutSeconds: timeoutSeconds, watch: true, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e) when (ApiErrors.IsGone(e))
        {
            throw new ResourceExpiredException($"watch from resourceVersion {resourceVersion} expired (HTTP 410)", e);
        }

        using var established = response;
        yield return WatchEvent<T>.Opened(resourceVersion);

        // The non-obsolete WatchList* methods send the request themselves and hide the response, so they cannot tell
        // "established" from "first event"; this overload reads a response we already have.
#pragma warning disable CS0618
        var events = Task.FromResult(response).WatchAsync<object, object>(OnError, cancellationToken);
#pragma warning restore CS0618

        await using var enumerator = events.GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            bool more;
            try
            {
                more = await enumerator.MoveNextAsync();
            }
            catch (HttpOperationException e) when (ApiErrors.IsGone(e))
            {
                throw new ResourceExpiredException($"watch from resourceVersion {resourceVersion} expired (HTTP 410)", e);
            }
            catch (HttpRequestException e) when (e.InnerException is EndOfStreamException)
            {
                // A stream the server closes without a single line: a normal end, not a failure.
                yield break;
            }

            ThrowIfStreamFailed(streamError, resourceVersion);
            if (!more)
            {
                yield break;
            }

            var (type, raw) = enumerator.Current;
            if (type == WatchEventType.Error)
            {
                ThrowIfStreamFailed(new KubernetesException(Deserialize<V1Status>(raw)), resourceVersion);
            }

            var item = Deserialize<T>(raw);
            var version = item.Metadata?.ResourceVersion ?? "";
            yield return new WatchEvent<T>(type, type == WatchEventType.Bookmark ? null : item, version);
        }
    }

    public async Task<T?> GetAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        try
        {
            using var response = string.IsNullOrEmpty(@namespace)
                ? await _api.GetClusterCustomObjectWithHttpMessagesAsync<T>(resource.Group, resource.Version, resource.Plural, name, cancellationToken: cancellationToken)
                : await _api.GetNamespacedCustomObjectWithHttpMessagesAsync<T>(
                    resource.Group, resource.Version, @namespace, resource.Plural, name, cancellationToken: cancellationToken);
            return response.Body;
        }
        catch (HttpOperationException e) when (ApiErrors.IsNotFound(e))
        {
            return null;
        }
    }

    public async Task<T> ReplaceAsync(T item, CancellationToken cancellationToken)
    {
        using var response = string.IsNullOrEmpty(item.Metadata.NamespaceProperty)
            ? await _api.ReplaceClusterCustomObjectWithHttpMessagesAsync<T>(
                item, resource.Group, resource.Version, resource.Plural, item.Metadata.Name, cancellationToken: cancellationToken)
            : await _api.ReplaceNamespacedCustomObjectWithHttpMessagesAsync<T>(
                item, resource.Group, resource.Version, item.Metadata.NamespaceProperty, resource.Plural, item.Metadata.Name,
                cancellationToken: cancellationToken);
        return response.Body;
    }

    public async Task<T> ReplaceStatusAsync(T item, CancellationToken cancellationToken)
    {
        using var response = string.IsNullOrEmpty(item.Metadata.NamespaceProperty)
            ? await _api.ReplaceClusterCustomObjectStatusWithHttpMessagesAsync<T>(
                item, resource.Group, resource.Version, resource.Plural, item.Metadata.Name, cancellationToken: cancellationToken)
            : await _api.ReplaceNamespacedCustomObjectStatusWithHttpMessagesAsync<T>(
                item, resource.Group, resource.Version, item.Metadata.NamespaceProperty, resource.Plural, item.Metadata.Name,
                cancellationToken: cancellationToken);
        return response.Body;
    }

    private static void ThrowIfStreamFailed(KubernetesException? error, string resourceVersion)
    {
        if (error is null)
        {
            return;
        }

        if (error.Status?.Code == 410)
        {
            throw new ResourceExpiredException($"watch from resourceVersion {resourceVersion} expired ({error.Status.Reason})", error);
        }

        throw error;
    }

    private static TValue Deserialize<TValue>(object raw) => raw switch
    {
        JsonElement element => KubernetesJson.Deserialize<TValue>(element),
        TValue typed => typed,
        _ => KubernetesJson.Deserialize<TValue>(KubernetesJson.Serialize(raw)),
    };

    /// <summary>A LIST body of T (KubernetesList&lt;T&gt; would do, but its item constraint is narrower than needed).</summary>
    private sealed class ListBody
    {
        [JsonPropertyName("metadata")]
        public V1ListMeta? Metadata { get; set; }

        [JsonPropertyName("items")]
        public List<T>? Items { get; set; }
    }
}
