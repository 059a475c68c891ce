using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>A write would change a secret the operator did not create (no managed-by label); it was refused.</summary>
public sealed class SecretOwnershipException(string message, SecretReference reference)
    : SecretStoreException(message, reference);
