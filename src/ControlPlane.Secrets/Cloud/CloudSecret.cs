namespace ControlPlane.Secrets.Cloud;

/// <summary>
/// The latest version of a cloud secret as a JSON object of string keys. <see cref="Data"/> is null when the
/// secret exists without any readable version (Google: created but no version added yet).
/// <see cref="Managed"/> says the secret carries the operator's managed-by tag or label.
/// </summary>
public sealed record CloudSecret(IReadOnlyDictionary<string, string>? Data, bool Managed);
