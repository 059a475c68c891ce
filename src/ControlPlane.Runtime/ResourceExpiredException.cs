namespace ControlPlane.Runtime;

/// <summary>The watch's resourceVersion is older than the server's history (HTTP or in-stream 410): relist.</summary>
public sealed class ResourceExpiredException(string message, Exception? inner = null) : Exception(message, inner);
