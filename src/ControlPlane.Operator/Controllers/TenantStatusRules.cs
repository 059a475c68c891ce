using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Runtime;

namespace ControlPlane.Operator.Controllers;

/// <summary>The desired status for each outcome of a reconcile. Pure; provisioning will add Active/Suspended here.</summary>
public static class TenantStatusRules
{
    public const string AwaitingProvisionerMessage =
        "Spec accepted. This operator version does not provision tenant databases yet, so no database, role or catalog " +
        "row exists for this tenant.";

    /// <summary>The spec is valid and nothing has been provisioned: Provisioning, Ready=False AwaitingProvisioner.</summary>
    public static TenantStatus Accepted(Tenant tenant, DateTimeOffset now) =>
        With(tenant, TenantPhases.Provisioning, TenantConditions.Reasons.AwaitingProvisioner, AwaitingProvisionerMessage, now);

    /// <summary>The spec breaks a rule: Ready=False InvalidSpec with every problem in the message; the phase is kept.</summary>
    public static TenantStatus Invalid(Tenant tenant, IReadOnlyList<string> problems, DateTimeOffset now) =>
        With(tenant, tenant.Status.Phase ?? TenantPhases.Provisioning, TenantConditions.Reasons.InvalidSpec, string.Join(" ", problems), now);

    /// <summary>Deletion started; cleanup runs before the finalizer goes.</summary>
    public static TenantStatus Deleting(Tenant tenant, DateTimeOffset now) =>
        With(tenant, TenantPhases.Deleting, TenantConditions.Reasons.Deleting, "The Tenant is being deleted.", now);

    private static TenantStatus With(Tenant tenant, string phase, string reason, string message, DateTimeOffset now)
    {
        var generation = tenant.Metadata.Generation;
        var current = tenant.Status;
        return new TenantStatus
        {
            Phase = phase,
            TenantId = current.TenantId,
            SchemaVersion = current.SchemaVersion,
            Database = current.Database,
            SecretRef = current.SecretRef,
            ObservedGeneration = generation,
            Conditions = Conditions.Set(current.Conditions, TenantConditions.Ready, Conditions.False, reason, message, generation, now),
        };
    }
}
