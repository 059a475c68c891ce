namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// A seam between the steps of provisioning and deletion, so tests can fail a reconcile at each step and prove that
/// the next one converges. Production uses <see cref="None"/>.
/// </summary>
public interface IProvisioningFaults
{
    public static readonly IProvisioningFaults None = new NoFaults();

    /// <summary>Called after <paramref name="step"/> completed; throwing here simulates a crash right after it.</summary>
    ValueTask AfterAsync(string step, CancellationToken cancellationToken);

    private sealed class NoFaults : IProvisioningFaults
    {
        public ValueTask AfterAsync(string step, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}

/// <summary>Names of the fault points, in the order provisioning and deletion pass them.</summary>
public static class ProvisioningSteps
{
    public const string Registered = "registered";
    public const string SecretEnsured = "secret-ensured";
    public const string DatabaseConverged = "database-converged";
    public const string Migrated = "migrated";
    public const string CatalogUpdated = "catalog-updated";
    public const string MarkedDeleting = "marked-deleting";
    public const string DatabaseRemoved = "database-removed";
    public const string SecretRemoved = "secret-removed";
    public const string MarkedDeleted = "marked-deleted";
    public const string RotationSecretWritten = "rotation-secret-written";
    public const string RotationVerifierChanged = "rotation-verifier-changed";
    public const string RotationRecorded = "rotation-recorded";
    public const string RotationReported = "rotation-reported";
    public const string AdminPasswordPendingWritten = "admin-password-pending-written";
    public const string AdminPasswordRoleChanged = "admin-password-role-changed";
    public const string AdminPasswordPromoted = "admin-password-promoted";
    public const string AdminPasswordPendingRemoved = "admin-password-pending-removed";

    public static readonly IReadOnlyList<string> Provisioning = [Registered, SecretEnsured, DatabaseConverged, Migrated, CatalogUpdated];

    public static readonly IReadOnlyList<string> Deletion = [MarkedDeleting, DatabaseRemoved, SecretRemoved, MarkedDeleted];

    public static readonly IReadOnlyList<string> Rotation = [RotationSecretWritten, RotationVerifierChanged, RotationRecorded, RotationReported];

    /// <summary>A tenant database server's admin password rotation (<see cref="AdminPasswordRotator"/>).</summary>
    public static readonly IReadOnlyList<string> AdminPasswordRotation =
        [AdminPasswordPendingWritten, AdminPasswordRoleChanged, AdminPasswordPromoted, AdminPasswordPendingRemoved];
}
