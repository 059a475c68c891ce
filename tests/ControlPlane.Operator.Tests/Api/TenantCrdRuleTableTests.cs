using System.Globalization;
using ControlPlane.Operator.Controllers;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>config/crds states exactly the rules of <see cref="TenantSpecSchema"/>, keyword by keyword and rule by rule.</summary>
public sealed class TenantCrdRuleTableTests
{
    private static readonly string[] ValidationKeywords =
    [
        "minLength", "maxLength", "pattern", "enum", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "required", "format", "nullable", "allOf", "anyOf", "oneOf", "not",
    ];

    private readonly TenantCrd _crd = TenantCrd.Load();

    [Fact]
    public void Every_spec_field_of_the_CRD_is_in_the_rule_table_and_the_reverse()
    {
        var inCrd = SpecPaths("spec", _crd.Property("spec")).ToList();

        Assert.Equal(inCrd.Order(StringComparer.Ordinal), TenantSpecSchema.Fields.Select(f => f.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Each_field_has_the_same_type_keywords_and_default_in_the_CRD_and_the_rule_table()
    {
        var differences = new List<string>();
        foreach (var field in TenantSpecSchema.Fields)
        {
            var node = _crd.Property(field.Path);
            Expect(differences, field.Path, "type", field.Type, node);
            Expect(differences, field.Path, "minLength", Text(field.MinLength), node);
            Expect(differences, field.Path, "maxLength", Text(field.MaxLength), node);
            Expect(differences, field.Path, "pattern", field.Pattern, node);
            Expect(differences, field.Path, "minimum", Text(field.Minimum), node);
            Expect(differences, field.Path, "maximum", Text(field.Maximum), node);
            Expect(differences, field.Path, "enum", field.Enum is null ? null : string.Join(",", field.Enum), node);
            Expect(differences, field.Path, "default", field.Default, node);

            // Keywords the table cannot express must not appear, or the operator would silently skip them.
            foreach (var keyword in ValidationKeywords.Except(["minLength", "maxLength", "pattern", "enum", "minimum", "maximum", "format"]))
            {
                if (node.ContainsKey(keyword))
                {
                    differences.Add($"{field.Path}: the CRD uses {keyword}, which the rule table does not model");
                }
            }

            if (node.TryGetValue("format", out var format) && !(field.Type == "integer" && (string)format == "int64"))
            {
                differences.Add($"{field.Path}: format {format} is not modelled (integers are read as int64 and bounded by minimum/maximum)");
            }
        }

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_CEL_rules_of_the_CRD_are_the_rule_table_s_rules_at_the_same_nodes()
    {
        var inCrd = CelRules(string.Empty, _crd.Root).OrderBy(r => r.ToString(), StringComparer.Ordinal).ToList();
        var inTable = TenantSpecSchema.Rules.Select(r => (r.Path, r.Rule, r.Message))
            .Concat(TenantSpecSchema.TransitionRules)
            .OrderBy(r => r.ToString(), StringComparer.Ordinal)
            .ToList();

        Assert.Equal(inTable, inCrd);
        Assert.All(TenantSpecSchema.Rules, r => Assert.DoesNotContain("oldSelf", r.Rule, StringComparison.Ordinal));
        Assert.All(TenantSpecSchema.TransitionRules, r => Assert.Contains("oldSelf", r.Rule, StringComparison.Ordinal));
    }

    [Fact]
    public void The_table_notices_a_changed_keyword()
    {
        var node = new Dictionary<object, object>(_crd.Property("spec.displayName")) { ["maxLength"] = "201" };
        var differences = new List<string>();

        Expect(differences, "spec.displayName", "maxLength", "200", node);

        Assert.Equal(["spec.displayName: maxLength is 201 in the CRD, 200 in the rule table"], differences);
    }

    private static void Expect(List<string> differences, string path, string keyword, string? expected, IDictionary<object, object> node)
    {
        var actual = node.TryGetValue(keyword, out var value) ? Render(value) : null;
        if (actual != expected)
        {
            differences.Add($"{path}: {keyword} is {actual ?? "absent"} in the CRD, {expected ?? "absent"} in the rule table");
        }
    }

    private static string Render(object value) => value switch
    {
        IList<object> list => string.Join(",", list.Select(Render)),
        IDictionary<object, object> map => map.Count == 0 ? "{}" : throw new NotSupportedException("object defaults"),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture)!,
    };

    private static string? Text(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static IEnumerable<string> SpecPaths(string path, IDictionary<object, object> node)
    {
        if (!node.TryGetValue("properties", out var properties))
        {
            yield break;
        }

        foreach (var (key, child) in (IDictionary<object, object>)properties)
        {
            var childPath = $"{path}.{key}";
            yield return childPath;
            foreach (var nested in SpecPaths(childPath, (IDictionary<object, object>)child))
            {
                yield return nested;
            }
        }
    }

    private static IEnumerable<(string Path, string Rule, string Message)> CelRules(string path, IDictionary<object, object> node)
    {
        if (node.TryGetValue("x-kubernetes-validations", out var rules))
        {
            foreach (var rule in ((IList<object>)rules).Cast<IDictionary<object, object>>())
            {
                yield return (path, (string)rule["rule"], (string)rule["message"]);
            }
        }

        if (!node.TryGetValue("properties", out var properties) || path == "status")
        {
            yield break;
        }

        foreach (var (key, child) in (IDictionary<object, object>)properties)
        {
            foreach (var nested in CelRules(path.Length == 0 ? (string)key : $"{path}.{key}", (IDictionary<object, object>)child))
            {
                yield return nested;
            }
        }
    }
}
