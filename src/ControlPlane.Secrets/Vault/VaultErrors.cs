using System.Text.Json.Nodes;

namespace ControlPlane.Secrets.Vault;

/// <summary>Turns Vault's <c>{"errors":["1 error occurred:\n\t* permission denied\n\n"]}</c> into one short line.</summary>
internal static class VaultErrors
{
    private const int MaxLength = 300;

    public static string Describe(JsonNode? body)
    {
        if (body?["errors"] is not JsonArray errors || errors.Count == 0)
        {
            return "no error detail";
        }

        var parts = errors
            .Select(e => e?.GetValueKind() == System.Text.Json.JsonValueKind.String ? e.GetValue<string>() : e?.ToJsonString() ?? "")
            .Select(Normalize)
            .Where(e => e.Length > 0);
        var text = string.Join("; ", parts);
        return text.Length <= MaxLength ? text : text[..MaxLength] + "…";
    }

    // Vault wraps multierror text as "1 error occurred:\n\t* permission denied\n\n"; keep the meaningful part.
    private static string Normalize(string error)
    {
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.EndsWith("error occurred:", StringComparison.Ordinal) && !line.EndsWith("errors occurred:", StringComparison.Ordinal))
            .Select(line => line.TrimStart('*', ' '));
        return string.Join(", ", lines);
    }

    public static bool IsCheckAndSetMismatch(VaultResponse response) =>
        response.Status == System.Net.HttpStatusCode.BadRequest &&
        response.Errors.Contains("check-and-set", StringComparison.OrdinalIgnoreCase);
}
