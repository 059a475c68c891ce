using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>
/// The wire values of every reason type, spelled out: Argo CD's health checks (config/argocd), the CRDs' documentation,
/// dashboards, the catalog and scripts reading <c>rotate-admin-password --json</c> match on these strings, so renaming a
/// member must never change one. A changed or added wire value fails here until this list says so on purpose.
/// </summary>
public sealed class ReasonWireValueTests
{
    [Fact]
    public void Tenant_Ready_reasons_keep_their_wire_values() => AssertWire<TenantReadyReason>(TenantReadyReasons.ToWire, TenantReadyReasons.TryParse,
    [
        "InvalidSpec", "NoServerAvailable", "Provisioning", "Provisioned", "Suspended", "SlugConflict", "DatabaseNameConflict",
        "DatabaseConflict", "UnknownSchemaVersion", "SchemaDowngradeRefused", "SchemaMigrationFailed", "DatabaseServerUnavailable",
        "DatabaseServerTlsFailed", "DatabaseServerBusy", "DatabasePermissionDenied", "CatalogUnavailable", "SecretUnavailable", "Deleting",
        "DeletionBlocked", "DatabaseAuthenticationFailed", "DatabaseContention", "DatabaseOperationFailed", "CatalogRefused", "SecretNotFound",
        "SecretAccessDenied", "KubernetesApiFailed", "ReconcileFailed",
    ]);

    [Fact]
    public void Tenant_Event_reasons_keep_their_wire_values() => AssertWire<TenantEventReason>(TenantEventReasons.ToWire, TenantEventReasons.TryParse,
        ["Migrated", "Resumed", "Deleted", "CleanupSkipped", "CredentialsRotated", "DriftRepaired"]);

    [Fact]
    public void Rollout_phases_keep_their_wire_values() => AssertWire<SchemaRolloutPhase>(SchemaRolloutPhases.ToWire, SchemaRolloutPhases.TryParse,
        ["Pending", "Canary", "AwaitingApproval", "Rolling", "Paused", "Halted", "Succeeded"]);

    [Fact]
    public void Rollout_condition_reasons_keep_their_wire_values() => AssertWire<SchemaRolloutReason>(SchemaRolloutReasons.ToWire, SchemaRolloutReasons.TryParse,
        ["Canary", "Rolling", "Paused", "AwaitingApproval", "FailureBudgetExceeded", "Succeeded", "OverlappingRollout", "InvalidSpec", "CanaryNotFound", "TenantsFailed", "NoFailures"]);

    [Fact]
    public void Server_Ready_reasons_keep_their_wire_values() => AssertWire<TenantDatabaseServerReadyReason>(
        TenantDatabaseServerReadyReasons.ToWire, TenantDatabaseServerReadyReasons.TryParse,
        ["Verified", "InvalidSpec", "NameTakenByConfiguration", "Unreachable", "PrivilegesMissing", "DeletionBlocked"]);

    [Fact]
    public void Admin_password_results_keep_their_wire_values() => AssertWire<AdminPasswordResult>(AdminPasswordResults.ToWire, AdminPasswordResults.TryParse,
        ["rotated", "not-due", "busy", "failed"]);

    [Fact]
    public void Admin_password_failures_keep_their_wire_values() => AssertWire<AdminPasswordFailure>(AdminPasswordFailures.ToWire, AdminPasswordFailures.TryParse,
    [
        "AdminSecretNotRotatable", "AdminPasswordRejected", "AdminSecretNotWritable", "SecretStoreFailed", "ServerUnavailable",
        "AdminSecretInconsistent",
    ]);

    /// <summary>TryParse reads exactly the wire values back: not another case, not a member name that differs from its wire value, not nothing.</summary>
    [Fact]
    public void Reading_back_accepts_only_the_exact_wire_value()
    {
        Assert.False(TenantReadyReasons.TryParse("provisioned", out _));
        Assert.False(TenantReadyReasons.TryParse(null, out _));
        Assert.False(TenantReadyReasons.TryParse("", out _));
        Assert.False(AdminPasswordFailures.TryParse(nameof(AdminPasswordFailure.NotRotatable), out _));
        Assert.False(AdminPasswordResults.TryParse(nameof(AdminPasswordResult.NotDue), out _));
        Assert.True(AdminPasswordResults.TryParse("not-due", out var result));
        Assert.Equal(AdminPasswordResult.NotDue, result);
    }

    private delegate bool TryParse<T>(string? wire, out T value);

    /// <summary>Every member's wire value, in declaration order, is the expected one, and each reads back as its member.</summary>
    private static void AssertWire<T>(Func<T, string> toWire, TryParse<T> tryParse, string[] expected)
        where T : struct, Enum
    {
        var members = Enum.GetValues<T>();

        Assert.Equal(expected, members.Select(toWire));
        Assert.All(members, member => Assert.True(tryParse(toWire(member), out var back) && back.Equals(member), $"{member} does not read back from {toWire(member)}"));
    }
}
