using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Selectors;

/// <summary>
/// A parsed <c>labelSelector</c>: comma-separated requirements <c>k=v</c>, <c>k==v</c>, <c>k!=v</c>, <c>k in (a,b)</c>,
/// <c>k notin (a,b)</c>, <c>k</c> (exists) and <c>!k</c> (does not exist), all of which must hold.
/// </summary>
internal sealed class LabelSelector
{
    private readonly List<Func<IReadOnlyDictionary<string, string>, bool>> _requirements = [];

    public static readonly LabelSelector Everything = new();

    public static LabelSelector Parse(string? text)
    {
        var selector = new LabelSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var requirement in SplitTopLevel(text))
        {
            selector._requirements.Add(ParseRequirement(requirement.Trim()));
        }

        return selector;
    }

    /// <summary>No requirement: every object matches.</summary>
    public bool IsEmpty => _requirements.Count == 0;

    public bool Matches(JsonObject obj) => _requirements.All(r => r(Labels(obj)));

    public static IReadOnlyDictionary<string, string> Labels(JsonObject obj) =>
        (obj["metadata"]?["labels"] as JsonObject ?? [])
            .Where(p => p.Value is not null)
            .ToDictionary(p => p.Key, p => p.Value!.ToString(), StringComparer.Ordinal);

    private static Func<IReadOnlyDictionary<string, string>, bool> ParseRequirement(string text)
    {
        if (text.Length == 0)
        {
            throw Invalid(text);
        }

        if (text.StartsWith('!'))
        {
            var key = Key(text[1..], text);
            return labels => !labels.ContainsKey(key);
        }

        var notIn = text.IndexOf(" notin ", StringComparison.Ordinal);
        if (notIn > 0)
        {
            var key = Key(text[..notIn], text);
            var values = SetValues(text[(notIn + 7)..], text);
            return labels => !labels.TryGetValue(key, out var v) || !values.Contains(v);
        }

        var inIndex = text.IndexOf(" in ", StringComparison.Ordinal);
        if (inIndex > 0)
        {
            var key = Key(text[..inIndex], text);
            var values = SetValues(text[(inIndex + 4)..], text);
            return labels => labels.TryGetValue(key, out var v) && values.Contains(v);
        }

        var notEquals = text.IndexOf("!=", StringComparison.Ordinal);
        if (notEquals > 0)
        {
            var key = Key(text[..notEquals], text);
            var value = text[(notEquals + 2)..].Trim();
            return labels => !labels.TryGetValue(key, out var v) || v != value;
        }

        var equals = text.IndexOf('=', StringComparison.Ordinal);
        if (equals > 0)
        {
            var key = Key(text[..equals], text);
            var value = text[(equals + (text.AsSpan(equals).StartsWith("==") ? 2 : 1))..].Trim();
            return labels => labels.TryGetValue(key, out var v) && v == value;
        }

        var existsKey = Key(text, text);
        return labels => labels.ContainsKey(existsKey);
    }

    private static string Key(string key, string requirement)
    {
        var trimmed = key.Trim();
        if (trimmed.Length == 0 || trimmed.Any(c => char.IsWhiteSpace(c) || c is '(' or ')' or '=' or '!' or ','))
        {
            throw Invalid(requirement);
        }

        return trimmed;
    }

    private static HashSet<string> SetValues(string text, string requirement)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith('(') || !trimmed.EndsWith(')'))
        {
            throw Invalid(requirement);
        }

        return trimmed[1..^1].Split(',').Select(v => v.Trim()).ToHashSet(StringComparer.Ordinal);
    }

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ',' when depth == 0:
                    yield return text[start..i];
                    start = i + 1;
                    break;
            }
        }

        yield return text[start..];
    }

    private static ApiException Invalid(string requirement) =>
        StatusBody.BadRequest($"unable to parse requirement: found '{requirement}', expected: valid label selector requirement");
}
