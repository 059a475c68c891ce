using System.Text.RegularExpressions;
using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets.Configuration;

/// <summary>
/// <c>VAULT_TENANT_PREFIX</c>: where the Tenants of each namespace may keep their own database passwords in Vault, as
/// <c>&lt;mount&gt;/&lt;path&gt;</c> with exactly one whole segment <c>{namespace}</c>, e.g. <c>secret/teams/{namespace}</c>:
/// a Tenant of namespace <c>team-a</c> may then reference <c>vault:secret/teams/team-a/&lt;path&gt;#&lt;key&gt;</c>. One
/// template rather than a list, so a new namespace needs no operator change and no two namespaces can share a prefix.
/// </summary>
public sealed partial class VaultTenantPrefix
{
    public const string Placeholder = "{namespace}";

    private readonly string[] _segments;

    private VaultTenantPrefix(string[] segments) => _segments = segments;

    /// <summary>The template, or null when unset; a malformed template is a <see cref="ConfigurationException"/>.</summary>
    public static VaultTenantPrefix? Parse(string? template)
    {
        if (string.IsNullOrWhiteSpace(template))
        {
            return null;
        }

        var segments = template.Trim().Trim('/').Split('/');
        if (segments.Count(s => s == Placeholder) != 1 || segments.Any(s => s != Placeholder && !Segment().IsMatch(s)))
        {
            throw new ConfigurationException(
                $"{SecretStoreConfiguration.VaultTenantPrefixVariable} must be <mount>/<path> segments of letters, digits, '.', '_' and '-' " +
                $"with exactly one whole segment {Placeholder}, e.g. secret/teams/{Placeholder}.");
        }

        return new VaultTenantPrefix(segments);
    }

    /// <summary>The prefix of one namespace, as <c>mount/path</c>.</summary>
    public string For(string @namespace) => string.Join('/', _segments.Select(s => s == Placeholder ? @namespace : s));

    /// <summary>The namespace whose prefix the reference lies strictly below; null when it lies below none (or is not a Vault reference).</summary>
    public string? NamespaceOf(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        if (reference.Backend != SecretBackendKind.Vault)
        {
            return null;
        }

        var path = reference.Location.Split('/');
        if (path.Length <= _segments.Length)
        {
            return null;
        }

        string? @namespace = null;
        for (var i = 0; i < _segments.Length; i++)
        {
            if (_segments[i] == Placeholder)
            {
                @namespace = path[i];
            }
            else if (!string.Equals(_segments[i], path[i], StringComparison.Ordinal))
            {
                return null;
            }
        }

        return @namespace;
    }

    /// <summary>Whether some namespace's prefix and <paramref name="mountAndPath"/> could share a Vault path (one lies below the other).</summary>
    public bool Overlaps(string mountAndPath)
    {
        ArgumentNullException.ThrowIfNull(mountAndPath);
        var other = mountAndPath.Trim('/').Split('/');
        return _segments.Zip(other).All(pair => pair.First == Placeholder || string.Equals(pair.First, pair.Second, StringComparison.Ordinal));
    }

    public override string ToString() => string.Join('/', _segments);

    [GeneratedRegex("^[a-zA-Z0-9_-][a-zA-Z0-9._-]*$", RegexOptions.CultureInvariant)]
    private static partial Regex Segment();
}
