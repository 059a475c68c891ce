namespace ControlPlane.Core.Secrets;

/// <summary>The secret managers a <see cref="SecretReference"/> can point into.</summary>
public enum SecretBackendKind
{
    /// <summary><c>k8s:&lt;namespace&gt;/&lt;secret-name&gt;#&lt;key&gt;</c>: a key of a Kubernetes Secret.</summary>
    Kubernetes,

    /// <summary><c>vault:&lt;mount&gt;/&lt;path&gt;#&lt;key&gt;</c>: a key of a HashiCorp Vault KV v2 secret.</summary>
    Vault,

    /// <summary><c>env:&lt;VARIABLE&gt;</c>: an environment variable of the operator (dev only).</summary>
    Env,

    /// <summary><c>mock:&lt;name&gt;</c>: an in-memory secret (dev only).</summary>
    Mock,

    /// <summary><c>aws:&lt;region&gt;/&lt;secret-name&gt;#&lt;key&gt;</c>: a key of a JSON secret in AWS Secrets Manager.</summary>
    Aws,

    /// <summary><c>gcp:&lt;project&gt;/&lt;secret-id&gt;#&lt;key&gt;</c>: a key of a JSON secret in Google Secret Manager.</summary>
    Gcp,

    /// <summary><c>azure:&lt;vault-name&gt;/&lt;secret-name&gt;#&lt;key&gt;</c>: a key of a JSON secret in Azure Key Vault.</summary>
    Azure,
}
