using System.Globalization;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// How often a password is rotated: whole hours or days, 1 to 99999 of them (<c>720h</c>, <c>30d</c>). One grammar for a
/// Tenant's <c>spec.credentials.rotateEvery</c> (the CRD checks <see cref="Pattern"/>) and a tenant database server's
/// admin password rotation (checked by the options validation), so both read it here.
/// </summary>
public static class RotationPeriod
{
    public const string Pattern = "^[1-9][0-9]{0,4}[hd]$";

    /// <summary>The period as a span, or null when unset. <paramref name="text"/> must already match <see cref="Pattern"/>.</summary>
    public static TimeSpan? Parse(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var count = int.Parse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture);
        return text[^1] == 'd' ? TimeSpan.FromDays(count) : TimeSpan.FromHours(count);
    }
}
