using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Store.Catalog;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class TenantStatusRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_registered_tenant_records_its_catalog_identity_and_is_not_Ready_yet()
    {
        var tenant = Acme(generation: 3);

        var status = TenantStatusRules.Registered(tenant, Row(), Intent(tenant), Now);

        var ready = Assert.Single(status.Conditions!);
        Assert.Equal((TenantPhases.Provisioning, 3L, Row().Id.ToString()), (status.Phase, status.ObservedGeneration!.Value, status.TenantId));
        Assert.Equal(("False", TenantReadyReason.Provisioning.ToWire()), (ready.Status, ready.Reason));
        Assert.Equal(("acme", "acme", "db.internal", 5432), (status.Database!.Name, status.Database.User, status.Database.Host, status.Database.Port!.Value));
        Assert.Equal("mock:tenant-acme-db", status.SecretRef);
    }

    [Fact]
    public void A_converged_tenant_is_Active_and_Ready_with_its_schema_version()
    {
        var tenant = Acme(generation: 2);

        var status = TenantStatusRules.Converged(tenant, Row() with { SchemaVersion = "2" }, Intent(tenant), Now);

        var ready = Assert.Single(status.Conditions!);
        Assert.Equal((TenantPhases.Active, "2"), (status.Phase, status.SchemaVersion));
        Assert.Equal(("True", TenantReadyReason.Provisioned.ToWire(), 2L), (ready.Status, ready.Reason, ready.ObservedGeneration!.Value));
    }

    [Fact]
    public void A_suspended_tenant_is_Suspended_and_not_Ready_with_the_reason_in_the_message()
    {
        var tenant = Acme(generation: 4);
        tenant.Spec.Suspended = true;
        tenant.Spec.SuspendedReason = "Invoice 42 unpaid.";

        var status = TenantStatusRules.Converged(tenant, Row(), Intent(tenant), Now);

        Assert.Equal(TenantPhases.Suspended, status.Phase);
        Assert.Equal(("False", TenantReadyReason.Suspended.ToWire(), "Suspended: Invoice 42 unpaid."),
            (status.Conditions![0].Status, status.Conditions[0].Reason, status.Conditions[0].Message));
    }

    [Fact]
    public void Recomputing_the_status_of_a_converged_tenant_yields_the_same_JSON_so_nothing_is_written()
    {
        var tenant = Acme(generation: 1);
        tenant.Status = TenantStatusRules.Converged(tenant, Row(), Intent(tenant), Now);

        var again = TenantStatusRules.Converged(tenant, Row(), Intent(tenant), Now.AddMinutes(10));

        Assert.Equal(KubernetesJson.Serialize(tenant.Status), KubernetesJson.Serialize(again));
    }

    [Fact]
    public void A_blocked_tenant_keeps_its_phase_and_identity()
    {
        var tenant = Acme(generation: 2);
        tenant.Status = TenantStatusRules.Converged(tenant, Row(), Intent(tenant), Now);

        var status = TenantStatusRules.Blocked(tenant, TenantReadyReason.DatabaseServerUnavailable, "server down", Now);

        Assert.Equal((TenantPhases.Active, Row().Id.ToString()), (status.Phase, status.TenantId));
        Assert.Equal(("False", TenantReadyReason.DatabaseServerUnavailable.ToWire()), (status.Conditions![0].Status, status.Conditions[0].Reason));
    }

    [Fact]
    public void An_invalid_spec_keeps_the_phase_and_explains_every_problem()
    {
        var tenant = Acme(generation: 2);
        tenant.Status.Phase = TenantPhases.Provisioning;

        var status = TenantStatusRules.Invalid(tenant, ["first problem.", "second problem."], Now);

        Assert.Equal(TenantPhases.Provisioning, status.Phase);
        Assert.Equal(("InvalidSpec", "first problem. second problem."), (status.Conditions![0].Reason, status.Conditions[0].Message));
    }

    private static Tenant Acme(long generation) =>
        new() { Metadata = new V1ObjectMeta { Name = "acme", Generation = generation }, Spec = new TenantSpec { DisplayName = "Acme" } };

    private static TenantIntent Intent(Tenant tenant) => TenantIntent.From(tenant, slug => SecretReference.Parse($"mock:tenant-{slug}-db"));

    private static CatalogTenant Row() => new(
        Guid.Parse("6f1c2f9e-5a63-4c53-9e0e-6c8f7c0a1b2d"), "acme", "Acme", "acme", "db.internal", 5432, "acme",
        SecretReference.Parse("mock:tenant-acme-db"), "1", null, CatalogTenantStatus.Active, Now, Now, null, null, null, null, false);
}
