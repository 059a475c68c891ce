using System.Text.RegularExpressions;

namespace ControlPlane.Secrets;

/// <summary>
/// Who a secret written by the operator belongs to. Kubernetes Secrets get it as the tenant label,
/// so a value must be a valid label value (at most 63 characters, alphanumerics, '-', '_', '.').
/// </summary>
public sealed partial record SecretOwner
{
    public SecretOwner(string tenant)
    {
        if (string.IsNullOrEmpty(tenant) || !LabelValue().IsMatch(tenant))
        {
            throw new ArgumentException(
                "A secret owner's tenant must be a Kubernetes label value: 1-63 characters, alphanumeric at both ends, '-', '_' or '.' inside.",
                nameof(tenant));
        }

        Tenant = tenant;
    }

    public string Tenant { get; }

    [GeneratedRegex("^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex LabelValue();
}
