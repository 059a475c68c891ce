using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// One password rotation as the catalog's <c>credentials_rotated</c> event records it: the request it served
/// (<paramref name="Rotation"/>: a token of the Tenant's annotation, or <c>schedule:&lt;due&gt;</c>), whether the
/// schedule asked for it, and when the operator rotated (its own clock, which the schedule is computed with). Never
/// the password.
/// </summary>
public sealed record CredentialRotation(string Rotation, bool Scheduled, DateTimeOffset At)
{
    /// <summary>Longest request token the catalog accepts; annotation tokens are timestamps or counters.</summary>
    public const int MaxRotationLength = 100;

    internal JsonObject Payload() => new()
    {
        ["rotation"] = Rotation,
        ["scheduled"] = Scheduled,
        ["at"] = At.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
    };

    internal static CredentialRotation FromPayload(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new CredentialRotation(
            root.GetProperty("rotation").GetString()!,
            root.GetProperty("scheduled").GetBoolean(),
            DateTimeOffset.Parse(root.GetProperty("at").GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal));
    }

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Rotation) || Rotation.Length > MaxRotationLength)
        {
            throw new ArgumentException($"A rotation names its request in 1–{MaxRotationLength} characters.", nameof(Rotation));
        }
    }
}
