using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Vault;

/// <summary>How a request authenticates: with the client's managed token, with a given token, or not at all (login).</summary>
internal enum VaultRequestAuth
{
    Session,
    Explicit,
    None,
}

/// <summary>
/// One Vault API call. <see cref="Idempotent"/> decides whether a 503/429/5xx or timeout is retried:
/// reads, deletes, login and renewal are; KV writes are not (a lost response would otherwise repeat a write).
/// The body of a KV write holds the secret: it is serialized into the request and never logged.
/// </summary>
internal sealed record VaultRequest(HttpMethod Method, string Path, bool Idempotent)
{
    public JsonObject? Body { get; init; }

    public VaultRequestAuth Auth { get; init; } = VaultRequestAuth.Session;

    public SecretValue? Token { get; init; }

    /// <summary>The reference this call serves, for error messages.</summary>
    public SecretReference? Reference { get; init; }

    /// <summary>What to check when Vault answers 403, appended to the error message.</summary>
    public string DeniedHint { get; init; } = "check the Vault policy attached to the operator's token or role";
}
