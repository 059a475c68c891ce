namespace ControlPlane.Secrets;

/// <summary>
/// A stored value and the rotation mark written in the same write (<see cref="RotationMarks"/>); <see cref="Rotation"/> is
/// null when the operator never rotated it (written by hand, or generated). The value stays redacted like any
/// <see cref="SecretValue"/>; the mark is a request name, never secret.
/// </summary>
public sealed record MarkedSecretValue(SecretValue Value, string? Rotation);
