namespace ControlPlane.Secrets;

/// <summary>
/// Where a secret records which rotation request wrote its current value (issue 16), always in the same write as the
/// value, so "version written" and "mark written" cannot be apart after a crash. The mark is a request token (a
/// timestamp or counter, or <c>schedule:&lt;due&gt;</c>), never secret.
/// </summary>
public static class RotationMarks
{
    /// <summary>
    /// Kubernetes: an annotation of the Secret holding a JSON object from key to request (data keys cannot hold a '/').
    /// </summary>
    public const string Annotation = "controlplane.econt.io/rotation";

    /// <summary>
    /// Vault KV v2 and the cloud managers' JSON secrets: a sibling entry of the key in the same map. Its name holds '/'
    /// and '#', which no reference key can (<c>[-._a-zA-Z0-9]+</c>), so it never shadows a key.
    /// </summary>
    public static string DataKey(string key) => $"controlplane.econt.io/rotation#{key}";
}
