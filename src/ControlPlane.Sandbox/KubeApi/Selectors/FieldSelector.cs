using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Api;

namespace ControlPlane.Sandbox.KubeApi.Selectors;

/// <summary>A <c>fieldSelector</c> limited to the fields every kind supports: <c>metadata.name</c> and <c>metadata.namespace</c> with = , == and !=.</summary>
internal sealed class FieldSelector
{
    private readonly List<(string Field, string Value, bool Equal)> _terms = [];

    public static FieldSelector Parse(string? text)
    {
        var selector = new FieldSelector();
        if (string.IsNullOrWhiteSpace(text))
        {
            return selector;
        }

        foreach (var term in text.Split(','))
        {
            var notEquals = term.IndexOf("!=", StringComparison.Ordinal);
            var equals = term.IndexOf('=', StringComparison.Ordinal);
            var (field, value, equal) = notEquals > 0
                ? (term[..notEquals], term[(notEquals + 2)..], false)
                : equals > 0
                    ? (term[..equals], term[(equals + (term.AsSpan(equals).StartsWith("==") ? 2 : 1))..], true)
                    : throw StatusBody.BadRequest($"invalid selector: '{text}'; can't understand '{term}'");
            field = field.Trim();
            if (field is not ("metadata.name" or "metadata.namespace"))
            {
                throw StatusBody.BadRequest($"field label not supported: {field}");
            }

            selector._terms.Add((field, value.Trim(), equal));
        }

        return selector;
    }

    /// <summary>No term: every object matches.</summary>
    public bool IsEmpty => _terms.Count == 0;

    public bool Matches(JsonObject obj) => _terms.All(t =>
    {
        var actual = (string?)obj["metadata"]?[t.Field["metadata.".Length..]] ?? string.Empty;
        return (actual == t.Value) == t.Equal;
    });
}
