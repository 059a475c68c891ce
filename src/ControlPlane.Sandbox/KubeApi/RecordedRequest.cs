namespace ControlPlane.Sandbox.KubeApi;

/// <summary>One request the server received, in arrival order.</summary>
/// <param name="Verb">The Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection) or the lower-case HTTP method for non-resource paths.</param>
/// <param name="Method">The HTTP method.</param>
/// <param name="Path">The request path without the query string.</param>
/// <param name="Query">The query string, with its leading <c>?</c>, or empty.</param>
/// <param name="UserAgent">The User-Agent header, or null.</param>
public sealed record RecordedRequest(string Verb, string Method, string Path, string Query, string? UserAgent)
{
    /// <summary>The response status code; 0 while the request is being served (a watch stays 200 from its start).</summary>
    public int StatusCode { get; internal set; }
}
