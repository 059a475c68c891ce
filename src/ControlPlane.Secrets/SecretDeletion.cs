namespace ControlPlane.Secrets;

/// <summary>What <see cref="ISecretStore.DeleteAsync"/> did. Each outcome is a converged state, not an error.</summary>
public enum SecretDeletion
{
    /// <summary>The key was removed (and the secret object too, once it held no other key).</summary>
    Deleted,

    /// <summary>Nothing was there: a repeated delete after a crash lands here.</summary>
    NotFound,

    /// <summary>The secret exists but the operator did not create it, so it was left untouched.</summary>
    NotOwned,
}
