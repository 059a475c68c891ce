using System.Globalization;
using System.Security.Cryptography;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Sandbox.KubeApi.Schema;

namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// The admin password rotation's decisions, without I/O (issue 16). A rotation keeps two entries of the admin secret:
/// the current password at <c>AdminSecretRef</c>, and while a rotation is under way the new one at the sibling
/// <see cref="PendingOf">pending reference</see> (key <c>&lt;key&gt;.pending</c>). Both carry the rotation's name as their
/// mark (<see cref="Secrets.RotationMarks"/>): <c>admin:&lt;UTC start&gt;:&lt;nonce&gt;</c>. The current password's mark is
/// where the schedule counts from, so the schedule needs no catalog row and survives any restart.
/// </summary>
public static class AdminPasswordRules
{
    public const string RotationPrefix = "admin:";

    /// <summary>Appended to the key (or the mock name): where the new password waits until the role has it.</summary>
    public const string PendingSuffix = ".pending";

    private const string TimeFormat = "yyyy-MM-ddTHH:mm:ssZ";
    /// <summary>What is wrong with a server's rotation setting, or null. <paramref name="reference"/> is null when unparsable (reported apart).</summary>
    public static string? Problem(string? rotateEvery, SecretReference? reference)
    {
        if (string.IsNullOrEmpty(rotateEvery))
        {
            return null;
        }

        if (!Re2Pattern.IsMatch(RotationPeriod.Pattern, rotateEvery))
        {
            return $"must be whole hours or days matching {RotationPeriod.Pattern}, e.g. 720h or 30d (got '{rotateEvery}').";
        }

        return reference is not null && !CanRotate(reference)
            ? $"the {reference.Backend.ToString().ToLowerInvariant()} backend cannot store a new password (the operator cannot change its own environment); " +
              "keep the admin password in k8s:, vault:, aws:, gcp: or azure: (mock: in dev), or unset AdminPasswordRotateEvery."
            : null;
    }

    /// <summary>Every backend that writes versions with a mark; not env, which is read-only.</summary>
    public static bool CanRotate(SecretReference reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return reference.Backend is not SecretBackendKind.Env;
    }

    /// <summary>The pending entry beside <paramref name="current"/>: same secret, key <c>&lt;key&gt;.pending</c> (mock: name <c>.pending</c>).</summary>
    public static SecretReference PendingOf(SecretReference current)
    {
        ArgumentNullException.ThrowIfNull(current);
        return SecretReference.Parse(current + PendingSuffix);
    }

    /// <summary>A fresh rotation name: its start time (where the schedule counts from) and a nonce, so two runs in one second differ.</summary>
    public static string NewRotation(DateTimeOffset now) =>
        $"{RotationPrefix}{now.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture)}:{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}";

    /// <summary>When the rotation named <paramref name="mark"/> started; null when the operator did not write it.</summary>
    public static DateTimeOffset? RotatedAt(string? mark)
    {
        if (mark is null || !mark.StartsWith(RotationPrefix, StringComparison.Ordinal) || mark.Length < RotationPrefix.Length + TimeFormat.Length)
        {
            return null;
        }

        return DateTimeOffset.TryParseExact(
            mark.AsSpan(RotationPrefix.Length, TimeFormat.Length), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var at)
            ? at
            : null;
    }

    /// <summary>
    /// Whether the schedule wants a rotation now, and when it falls due (null: no schedule). A password the operator never
    /// rotated (no mark of ours) is due at once: a schedule means "no password older than this", and its age is unknown.
    /// </summary>
    public static AdminRotationPlan Plan(TimeSpan? every, string? currentMark, DateTimeOffset now)
    {
        if (every is not { } interval)
        {
            return new AdminRotationPlan(false, null);
        }

        var due = RotatedAt(currentMark) is { } at ? at + interval : now;
        return new AdminRotationPlan(due <= now, due);
    }
}

/// <summary>Whether the schedule wants a rotation now, and when it is (or was) due; null without a schedule.</summary>
public sealed record AdminRotationPlan(bool Due, DateTimeOffset? NextDue);
