using System.Text.RegularExpressions;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// Which Tenants one caller may resolve: every Tenant (<c>*</c>), the Tenants of some namespaces, or the Tenants whose
/// labels match a selector. A Tenant outside the grant is answered exactly like an unknown slug, so a caller cannot even
/// learn that it exists.
/// </summary>
internal sealed partial record CallerGrant
{
    private CallerGrant(bool everything, IReadOnlySet<string> namespaces, IReadOnlyDictionary<string, string> labels)
    {
        Everything = everything;
        Namespaces = namespaces;
        Labels = labels;
    }

    /// <summary>Every tenant, including catalog rows no Tenant object describes (the old global allow-list).</summary>
    public bool Everything { get; }

    public IReadOnlySet<string> Namespaces { get; }

    /// <summary>An equality selector on the Tenant's labels (all must match).</summary>
    public IReadOnlyDictionary<string, string> Labels { get; }

    public static CallerGrant All { get; } = new(true, new HashSet<string>(), new Dictionary<string, string>());

    public bool Allows(TenantPlacement placement) =>
        Everything
        || Namespaces.Contains(placement.Namespace)
        || (Labels.Count > 0 && Labels.All(l => placement.Labels.TryGetValue(l.Key, out var value) && value == l.Value));

    /// <summary>
    /// <c>*</c>, <c>ns-a,ns-b</c>, or <c>selector:key=value,key2=value2</c> (the value of one <c>RESOLVER_CALLERS</c> entry after
    /// its <c>=</c>); null with <paramref name="error"/> when it is none of these.
    /// </summary>
    public static CallerGrant? Parse(string text, out string? error)
    {
        error = null;
        text = text.Trim();
        if (text == "*")
        {
            return All;
        }

        if (text.StartsWith("selector:", StringComparison.Ordinal))
        {
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var pair in text["selector:".Length..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0 || !LabelKey().IsMatch(pair[..eq]) || !LabelValue().IsMatch(pair[(eq + 1)..]))
                {
                    error = $"'{pair}' is not a label equality (key=value)";
                    return null;
                }

                labels[pair[..eq]] = pair[(eq + 1)..];
            }

            if (labels.Count == 0)
            {
                error = "the selector is empty";
                return null;
            }

            return new CallerGrant(false, new HashSet<string>(), labels);
        }

        var namespaces = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        if (namespaces.Count == 0)
        {
            error = "no namespace is named";
            return null;
        }

        if (namespaces.FirstOrDefault(n => !Namespace().IsMatch(n)) is { } bad)
        {
            error = $"'{bad}' is not a namespace name";
            return null;
        }

        return new CallerGrant(false, namespaces, new Dictionary<string, string>());
    }

    public override string ToString() => Everything ? "*"
        : Labels.Count > 0 ? "selector:" + string.Join(',', Labels.Select(l => $"{l.Key}={l.Value}"))
        : string.Join(',', Namespaces.Order(StringComparer.Ordinal));

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex Namespace();

    [GeneratedRegex(@"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelKey();

    [GeneratedRegex(@"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();
}

/// <summary>Where the Tenant that owns a slug lives: what a <see cref="CallerGrant"/> is checked against.</summary>
internal sealed record TenantPlacement(string Namespace, string Name, Guid TenantId, IReadOnlyDictionary<string, string> Labels);
