namespace ControlPlane.Secrets.Cloud;

/// <summary>
/// The tag (AWS, Azure) or label (Google) the operator puts on every cloud secret it creates, the same mark as
/// the managed-by label of its Kubernetes Secrets: a write or delete proves the mark before touching a secret.
/// </summary>
public static class CloudOwnership
{
    public const string ManagedByKey = "managed-by";

    public const string ManagedByValue = "econt-controlplane";

    public const string TenantKey = "econt-tenant";

    /// <summary>Google label values are lower case, at most 63 of [a-z0-9_-].</summary>
    public static string LabelValue(string tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var lower = tenant.ToLowerInvariant().Replace('.', '_');
        return lower.Length <= 63 ? lower : lower[..63];
    }
}
