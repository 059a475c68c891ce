using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace ControlPlane.Core.Secrets;

/// <summary>
/// A pointer into a secret manager, the only form in which credentials reach the catalog
/// (<c>tenants.db_secret_ref</c>). One grammar, parsed here and nowhere else; the catalog's CHECK
/// constraint and the CRD's pattern express the same rule (see ADR-CP-002).
/// <code>
/// k8s:&lt;namespace&gt;/&lt;secret-name&gt;#&lt;key&gt;     e.g. k8s:econt-tenants/tenant-acme-db#password
/// vault:&lt;mount&gt;/&lt;path&gt;#&lt;key&gt;             e.g. vault:secret/econt/tenants/acme#password
/// env:&lt;VARIABLE&gt;                          e.g. env:ACME_DB_PASSWORD        (dev only)
/// mock:&lt;name&gt;                             e.g. mock:acme                   (dev only)
/// aws:&lt;region&gt;/&lt;secret-name&gt;#&lt;key&gt;       e.g. aws:eu-west-1/econt/tenants/acme#password
/// gcp:&lt;project&gt;/&lt;secret-id&gt;#&lt;key&gt;        e.g. gcp:econt-prod/tenant-acme-db#password
/// azure:&lt;vault-name&gt;/&lt;secret-name&gt;#&lt;key&gt; e.g. azure:econt-kv/tenant-acme-db#password
/// </code>
/// The cloud forms name a secret whose value is a JSON object of string keys; <c>#key</c> picks one of them
/// (docs/secrets.md, ADR-CP-009).
/// </summary>
public sealed partial record SecretReference
{
    public const int MaxLength = 512;

    /// <summary>What a valid reference looks like, for error messages and docs.</summary>
    public const string Grammar =
        "k8s:<namespace>/<secret-name>#<key>, vault:<mount>/<path>#<key>, aws:<region>/<secret-name>#<key>, " +
        "gcp:<project>/<secret-id>#<key>, azure:<vault-name>/<secret-name>#<key>, env:<VARIABLE> or mock:<name>";

    /// <summary>
    /// The whole grammar as one POSIX-compatible regular expression, shared verbatim with the catalog's
    /// CHECK constraint and the CRD pattern so the three cannot drift (a test compares them).
    /// </summary>
    public const string Pattern =
        "^(k8s:[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?/[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*#[-._a-zA-Z0-9]+"
        + "|vault:[a-zA-Z0-9_-]+(/[a-zA-Z0-9_-][a-zA-Z0-9._-]*)+#[-._a-zA-Z0-9]+"
        + "|aws:[a-z]{2}(-[a-z]+)+-[0-9]{1,2}/[a-zA-Z0-9_+-][a-zA-Z0-9._+-]*(/[a-zA-Z0-9_+-][a-zA-Z0-9._+-]*)*#[-._a-zA-Z0-9]+"
        + "|gcp:[a-z][-a-z0-9]{4,28}[a-z0-9]/[a-zA-Z0-9_-]{1,255}#[-._a-zA-Z0-9]+"
        + "|azure:[a-zA-Z][-a-zA-Z0-9]{1,22}[a-zA-Z0-9]/[-a-zA-Z0-9]{1,127}#[-._a-zA-Z0-9]+"
        + "|env:[A-Z_][A-Z0-9_]*"
        + "|mock:[a-z0-9][a-z0-9._-]*)$";

    /// <summary>
    /// Credential-like fragments refused anywhere, case-insensitively, even where the grammar would allow
    /// them: a reference that looks like it carries a credential is a credential in the wrong place.
    /// </summary>
    public const string ForbiddenPattern = "(://|@|[[:space:]]|password=|passwd=|pwd=|secret=|token=|apikey|api_key|api-key|hvs\\.)";

    private SecretReference(SecretBackendKind backend, string location, string? key)
    {
        Backend = backend;
        Location = location;
        Key = key;
    }

    public SecretBackendKind Backend { get; }

    /// <summary>
    /// Where the secret lives within its backend: <c>namespace/name</c> (k8s), <c>mount/path</c> (vault),
    /// <c>region/name</c> (aws), <c>project/secret-id</c> (gcp), <c>vault-name/secret-name</c> (azure),
    /// the variable name (env) or the mock name.
    /// </summary>
    public string Location { get; }

    /// <summary>The key inside the secret (every backend but env and mock, where it is null).</summary>
    public string? Key { get; }

    /// <summary>
    /// The first segment of <see cref="Location"/>: Kubernetes namespace, Vault mount, AWS region, Google Cloud
    /// project or Azure Key Vault name. The whole location for env and mock.
    /// </summary>
    public string Container => Key is not null ? Location[..Location.IndexOf('/', StringComparison.Ordinal)] : Location;

    /// <summary>What follows the first segment: the secret's name (or path below the Vault mount).</summary>
    public string Name => Key is not null ? Location[(Location.IndexOf('/', StringComparison.Ordinal) + 1)..] : Location;

    public static SecretReference Parse(string? value) =>
        TryParse(value, out var reference, out var error) ? reference : throw new SecretReferenceException(error);

    public static bool TryParse(
        [NotNullWhen(true)] string? value,
        [NotNullWhen(true)] out SecretReference? reference,
        [NotNullWhen(false)] out string? error)
    {
        reference = null;
        error = Validate(value);
        if (error is not null)
        {
            return false;
        }

        var colon = value!.IndexOf(':', StringComparison.Ordinal);
        var scheme = value[..colon];
        var rest = value[(colon + 1)..];
        var hash = rest.IndexOf('#', StringComparison.Ordinal);
        reference = scheme switch
        {
            "k8s" => new SecretReference(SecretBackendKind.Kubernetes, rest[..hash], rest[(hash + 1)..]),
            "vault" => new SecretReference(SecretBackendKind.Vault, rest[..hash], rest[(hash + 1)..]),
            "aws" => new SecretReference(SecretBackendKind.Aws, rest[..hash], rest[(hash + 1)..]),
            "gcp" => new SecretReference(SecretBackendKind.Gcp, rest[..hash], rest[(hash + 1)..]),
            "azure" => new SecretReference(SecretBackendKind.Azure, rest[..hash], rest[(hash + 1)..]),
            "env" => new SecretReference(SecretBackendKind.Env, rest, null),
            _ => new SecretReference(SecretBackendKind.Mock, rest, null),
        };
        return true;
    }

    public static SecretReference Kubernetes(string @namespace, string secretName, string key) =>
        Parse($"k8s:{@namespace}/{secretName}#{key}");

    public static SecretReference Vault(string mount, string path, string key) =>
        Parse($"vault:{mount}/{path}#{key}");

    /// <summary>The canonical text, as stored in <c>db_secret_ref</c>.</summary>
    public override string ToString() => Backend switch
    {
        SecretBackendKind.Kubernetes => $"k8s:{Location}#{Key}",
        SecretBackendKind.Vault => $"vault:{Location}#{Key}",
        SecretBackendKind.Aws => $"aws:{Location}#{Key}",
        SecretBackendKind.Gcp => $"gcp:{Location}#{Key}",
        SecretBackendKind.Azure => $"azure:{Location}#{Key}",
        SecretBackendKind.Env => $"env:{Location}",
        _ => $"mock:{Location}",
    };

    private static string? Validate(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"A secret reference is required; use {Grammar}.";
        }

        if (value.Length > MaxLength)
        {
            return $"A secret reference is at most {MaxLength} characters; use {Grammar}.";
        }

        if (Forbidden().IsMatch(value))
        {
            return "A secret reference must not contain '://', '@', whitespace or credential-like words " +
                   $"(password=, token=, apikey, …): store the credential in a secret manager and reference it as {Grammar}.";
        }

        if (!Valid().IsMatch(value))
        {
            return $"Not a valid secret reference; use {Grammar} (lower-case DNS names for Kubernetes, no empty path segments).";
        }

        return null;
    }

    [GeneratedRegex(Pattern, RegexOptions.CultureInvariant)]
    private static partial Regex Valid();

    // .NET has no [[:space:]] class; \s is its equivalent for the same rule.
    [GeneratedRegex("(://|@|\\s|password=|passwd=|pwd=|secret=|token=|apikey|api_key|api-key|hvs\\.)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Forbidden();
}
