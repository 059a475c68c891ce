using System.Globalization;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Sandbox.KubeApi.Schema;
using CredentialRotation = ControlPlane.Store.Catalog.CredentialRotation;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// When a tenant's password is rotated (issue 16), decided without I/O: once per distinct token of the annotation
/// <see cref="Annotation"/>, and every <c>spec.credentials.rotateEvery</c> after the previous rotation (or the tenant's
/// creation). A request is named <c>request:&lt;token&gt;</c> or <c>schedule:&lt;due time&gt;</c>; the name is the key of
/// the catalog's <c>credentials_rotated</c> event and the mark of the secret version, so a retry after a crash finds
/// the same name and rotates nothing twice. A schedule's due time comes from the catalog, never from status.
/// </summary>
public static class CredentialRotationRules
{
    /// <summary>Set (or change) its value to rotate once: a timestamp or a counter, never anything secret.</summary>
    public const string Annotation = "controlplane.econt.io/rotate-credentials";

    /// <summary>Letters, digits and <c>-._:</c>, starting and ending with a letter or digit, at most 63 (an RFC 3339 time fits).</summary>
    public const string TokenPattern = "^[A-Za-z0-9]([-._:A-Za-z0-9]{0,61}[A-Za-z0-9])?$";

    public const string RequestPrefix = "request:";
    public const string SchedulePrefix = "schedule:";

    /// <summary>What is wrong with the Tenant's rotation settings that the CRD cannot check (its annotation); empty when nothing.</summary>
    public static IEnumerable<string> Problems(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        if (tenant.Metadata.Annotations?.TryGetValue(Annotation, out var token) != true)
        {
            yield break;
        }

        if (!Re2Pattern.IsMatch(TokenPattern, token!))
        {
            yield return $"metadata.annotations[{Annotation}] must be a token (a timestamp or a counter) matching {TokenPattern}.";
        }

        if (tenant.Spec.Credentials?.SecretRef is not null)
        {
            yield return $"metadata.annotations[{Annotation}] needs generated credentials: the operator rotates only passwords it generated (spec.credentials.secretRef is set).";
        }
    }

    /// <summary>The annotation's request name, or null without the annotation (call after <see cref="Problems"/>).</summary>
    public static string? Request(Tenant tenant)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        return tenant.Metadata.Annotations?.TryGetValue(Annotation, out var token) == true ? RequestPrefix + token : null;
    }

    /// <summary>
    /// The rotation due now, if any, and when the schedule falls due next. The annotation's request goes first (unless
    /// the catalog has it: <paramref name="requestDone"/>); the schedule counts from the newest recorded rotation, else
    /// from <paramref name="since"/> (the tenant's creation).
    /// </summary>
    public static RotationPlan Plan(
        string? request, bool requestDone, TimeSpan? every, CredentialRotation? latest, DateTimeOffset since, DateTimeOffset now)
    {
        // Whole seconds: status carries these times, and a round trip through the API server must not change them.
        now = Seconds(now);
        if (request is not null && !requestDone)
        {
            return new RotationPlan(new CredentialRotation(request, Scheduled: false, now), every is { } next ? now + next : null);
        }

        if (every is not { } interval)
        {
            return new RotationPlan(null, null);
        }

        var due = Seconds((latest?.At ?? since) + interval);
        return due <= now
            ? new RotationPlan(new CredentialRotation(SchedulePrefix + due.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture), Scheduled: true, now), now + interval)
            : new RotationPlan(null, due);
    }

    private static DateTimeOffset Seconds(DateTimeOffset time) => new(time.UtcTicks - (time.UtcTicks % TimeSpan.TicksPerSecond), TimeSpan.Zero);

    /// <summary>Status for the newest recorded rotation and the next due time.</summary>
    public static TenantCredentialsStatus? Status(CredentialRotation? latest, DateTimeOffset? next) =>
        latest is null && next is null
            ? null
            : new TenantCredentialsStatus { RotatedAt = latest?.At.UtcDateTime, Rotation = latest?.Rotation, NextRotationAt = next?.UtcDateTime };
}

/// <summary>The rotation to perform now (null: none) and when the schedule falls due next (null: no schedule).</summary>
public sealed record RotationPlan(CredentialRotation? Due, DateTimeOffset? NextDue);
