namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>
/// Reasons of the Kubernetes Events the operator records on a Tenant that are not Ready reasons, declared once. Changes
/// of Ready (Provisioned, Suspended, InvalidSpec, DatabaseConflict and the failures) are recorded under their
/// <see cref="TenantConditions.Reasons"/>.
/// </summary>
public static class TenantEventReasons
{
    /// <summary>The tenant's schema was migrated to spec.schemaVersion.</summary>
    public const string Migrated = "Migrated";

    /// <summary>A suspended tenant was resumed: logins and connections are allowed again.</summary>
    public const string Resumed = "Resumed";

    /// <summary>Deletion finished (per the deletion policy) and the finalizer was released.</summary>
    public const string Deleted = "Deleted";

    /// <summary>Deletion was released by the skip-cleanup annotation without (full) cleanup.</summary>
    public const string CleanupSkipped = "CleanupSkipped";

    /// <summary>The tenant's database password was rotated.</summary>
    public const string CredentialsRotated = "CredentialsRotated";

    /// <summary>The resync restored what was changed by hand.</summary>
    public const string DriftRepaired = "DriftRepaired";
}
