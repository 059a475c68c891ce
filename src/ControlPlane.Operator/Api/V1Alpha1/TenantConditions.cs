namespace ControlPlane.Operator.Api.V1Alpha1;

/// <summary>Condition types and their stable reasons, declared once. Users and Argo CD read these.</summary>
public static class TenantConditions
{
    /// <summary>True when the tenant's database is provisioned and serving.</summary>
    public const string Ready = "Ready";

    public static class Reasons
    {
        /// <summary>The spec fails a rule the CRD schema cannot express (unknown server, bad default slug…). Fix the spec.</summary>
        public const string InvalidSpec = "InvalidSpec";

        /// <summary>The spec is accepted; provisioning is not implemented in this operator version, so nothing was created.</summary>
        public const string AwaitingProvisioner = "AwaitingProvisioner";

        /// <summary>The Tenant is being deleted; cleanup runs behind the finalizer.</summary>
        public const string Deleting = "Deleting";
    }
}
