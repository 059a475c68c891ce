using k8s.Models;

namespace ControlPlane.Operator.Controllers.Rollouts;

/// <summary>metav1.LabelSelector semantics (matchLabels and matchExpressions, ANDed); null or empty matches everything.</summary>
public static class LabelSelectors
{
    public static bool Matches(V1LabelSelector? selector, IDictionary<string, string>? labels)
    {
        if (selector is null)
        {
            return true;
        }

        labels ??= new Dictionary<string, string>();
        if (selector.MatchLabels?.Any(pair => !labels.TryGetValue(pair.Key, out var value) || value != pair.Value) == true)
        {
            return false;
        }

        return selector.MatchExpressions?.All(e => Matches(e, labels)) ?? true;
    }

    private static bool Matches(V1LabelSelectorRequirement requirement, IDictionary<string, string> labels)
    {
        var present = labels.TryGetValue(requirement.Key, out var value);
        var values = requirement.Values ?? [];
        return requirement.OperatorProperty switch
        {
            "In" => present && values.Contains(value!),
            "NotIn" => !present || !values.Contains(value!),
            "Exists" => present,
            "DoesNotExist" => !present,

            // The CRD restricts the operator; anything else selects nothing rather than everything.
            _ => false,
        };
    }
}
