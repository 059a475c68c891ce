using System.Net;
using System.Text.Json.Nodes;

namespace ControlPlane.Secrets.Vault;

/// <summary>A Vault answer the caller interprets (2xx, 400, 404); every other status became a typed exception.</summary>
internal sealed record VaultResponse(HttpStatusCode Status, JsonNode? Body)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>Vault's <c>{"errors":[...]}</c> joined into one line (Vault's messages never contain secret values).</summary>
    public string Errors => VaultErrors.Describe(Body);
}
