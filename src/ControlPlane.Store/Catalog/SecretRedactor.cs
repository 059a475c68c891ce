using System.Text.RegularExpressions;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// Scrubs credentials from free text before it becomes an audit event: error messages often quote a
/// connection string or URL. Last line of defence, not a licence to pass secrets in.
/// </summary>
public static partial class SecretRedactor
{
    public const string Mask = "***";

    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var withoutUserInfo = UrlUserInfo().Replace(text, "://" + Mask + "@");
        return KeyValue().Replace(withoutUserInfo, m => m.Groups["key"].Value + m.Groups["sep"].Value + Mask);
    }

    // scheme://user:password@host → scheme://***@host
    [GeneratedRegex("://[^/\\s@]+@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlUserInfo();

    // password=…, Password: …, token=…; up to the next separator of a connection string.
    [GeneratedRegex("(?<key>password|passwd|pwd|secret|token|api[-_]?key)(?<sep>\\s*[=:]\\s*)[^;\\s,&]+", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex KeyValue();
}
