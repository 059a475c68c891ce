namespace ControlPlane.Secrets.Configuration;

/// <summary>How the operator authenticates to Vault.</summary>
public enum VaultAuthMethod
{
    /// <summary>A token from <c>VAULT_TOKEN</c> or a file (<c>VAULT_TOKEN_FILE</c>, e.g. written by Vault Agent).</summary>
    Token,

    /// <summary>The Kubernetes auth method: the pod's service account JWT exchanged for a token at login.</summary>
    Kubernetes,
}
