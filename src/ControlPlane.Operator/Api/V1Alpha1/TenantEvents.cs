using ControlPlane.Core.Wire;

namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// Reasons of the Kubernetes Events the operator records on a Tenant that are not Ready reasons. Changes of Ready
/// (Provisioned, Suspended, InvalidSpec, DatabaseConflict and the failures) are recorded under their
/// <see cref="TenantReadyReason"/>.
/// </summary>
public enum TenantEventReason
{
    /// <summary>The tenant's schema was migrated to spec.schemaVersion.</summary>
    Migrated,

    /// <summary>A suspended tenant was resumed: logins and connections are allowed again.</summary>
    Resumed,

    /// <summary>Deletion finished (per the deletion policy) and the finalizer was released.</summary>
    Deleted,

    /// <summary>Deletion was released by the skip-cleanup annotation without (full) cleanup.</summary>
    CleanupSkipped,

    /// <summary>The tenant's database password was rotated.</summary>
    CredentialsRotated,

    /// <summary>The resync restored what was changed by hand.</summary>
    DriftRepaired,
}

/// <summary>
/// The wire value of each <see cref="TenantEventReason"/> (its name), and back.
/// As for every reason type (<see cref="TenantReadyReasons"/>): <c>ToWire()</c>, the exhaustive switch below, is the only
/// way to the wire and <c>TryParse</c> the only way back.
/// </summary>
public static class TenantEventReasons
{
    public static string ToWire(this TenantEventReason reason) => reason switch
    {
        TenantEventReason.Migrated => "Migrated",
        TenantEventReason.Resumed => "Resumed",
        TenantEventReason.Deleted => "Deleted",
        TenantEventReason.CleanupSkipped => "CleanupSkipped",
        TenantEventReason.CredentialsRotated => "CredentialsRotated",
        TenantEventReason.DriftRepaired => "DriftRepaired",
    };

    /// <summary>The member whose wire value is <paramref name="wire"/>; false for any other text (or none).</summary>
    public static bool TryParse(string? wire, out TenantEventReason reason) => WireValues.TryParse(wire, ToWire, out reason);
}
