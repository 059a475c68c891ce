using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class TenantStatusRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 3, 1, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void An_accepted_tenant_is_honestly_Provisioning_and_not_Ready()
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = "acme", Generation = 3 } };

        var status = TenantStatusRules.Accepted(tenant, Now);

        var ready = Assert.Single(status.Conditions!);
        Assert.Equal((TenantPhases.Provisioning, 3L), (status.Phase, status.ObservedGeneration!.Value));
        Assert.Equal(("Ready", "False", "AwaitingProvisioner", 3L), (ready.Type, ready.Status, ready.Reason, ready.ObservedGeneration!.Value));
        Assert.Null(status.Database);
    }

    [Fact]
    public void Recomputing_the_status_of_a_converged_tenant_yields_the_same_JSON_so_nothing_is_written()
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = "acme", Generation = 1 } };
        tenant.Status = TenantStatusRules.Accepted(tenant, Now);

        var again = TenantStatusRules.Accepted(tenant, Now.AddMinutes(10));

        Assert.Equal(KubernetesJson.Serialize(tenant.Status), KubernetesJson.Serialize(again));
    }

    [Fact]
    public void An_invalid_spec_keeps_the_phase_and_explains_every_problem()
    {
        var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = "acme", Generation = 2 } };
        tenant.Status.Phase = TenantPhases.Provisioning;

        var status = TenantStatusRules.Invalid(tenant, ["first problem.", "second problem."], Now);

        Assert.Equal(TenantPhases.Provisioning, status.Phase);
        Assert.Equal(("InvalidSpec", "first problem. second problem."), (status.Conditions![0].Reason, status.Conditions[0].Message));
    }
}
