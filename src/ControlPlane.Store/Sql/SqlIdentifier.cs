using System.Text.RegularExpressions;

namespace ControlPlane.Store.Sql;

/// <summary>
/// The one audited place that turns a name into a SQL identifier. Names are validated first
/// (lower-case PostgreSQL identifiers only), then quoted, so DDL never carries user text raw.
/// </summary>
public static partial class SqlIdentifier
{
    /// <summary>PostgreSQL truncates identifiers at 63 bytes (NAMEDATALEN - 1); longer names are refused, not truncated.</summary>
    public const int MaxLength = 63;

    public static bool IsValid(string? name) => name is not null && name.Length <= MaxLength && Pattern().IsMatch(name);

    /// <summary>Validates and double-quotes an identifier, e.g. <c>tenant_acme</c> → <c>"tenant_acme"</c>.</summary>
    public static string Quote(string name)
    {
        if (!IsValid(name))
        {
            throw new ArgumentException(
                $"'{Shorten(name)}' is not a valid identifier: use 1–{MaxLength} characters from a–z, 0–9 and _, starting with a letter or _.",
                nameof(name));
        }

        // Validation already excludes '"'; doubling keeps the helper correct should the pattern ever widen.
        return "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
    }

    private static string Shorten(string? name) => name is null ? "(null)" : name.Length <= 70 ? name : name[..70] + "…";

    // \z, not $: .NET's $ also matches before a final newline, which would let "name\n" through.
    [GeneratedRegex("^[a-z_][a-z0-9_]*\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
