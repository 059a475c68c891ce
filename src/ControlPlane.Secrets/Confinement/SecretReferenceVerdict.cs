namespace ControlPlane.Secrets.Confinement;

/// <summary>
/// Whether a requester may have the operator read a reference. A refusal's message depends only on the reference's kind,
/// the requester and the configuration, never on what the backend holds, so it cannot tell whether the target exists.
/// </summary>
public sealed record SecretReferenceVerdict
{
    private SecretReferenceVerdict(string? refusal) => Refusal = refusal;

    public static SecretReferenceVerdict Allowed { get; } = new((string?)null);

    /// <summary>Null when allowed.</summary>
    public string? Refusal { get; }

    public bool IsAllowed => Refusal is null;

    public static SecretReferenceVerdict Refused(string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(message);
        return new SecretReferenceVerdict(message);
    }
}
