using System.Text.Json.Nodes;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Controllers;
using ControlPlane.Runtime;
using k8s;
using k8s.Models;
using NLua;
using YamlDotNet.Serialization;

namespace ControlPlane.Operator.Tests.Deploy;

public sealed class TenantHealthCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly string Script = File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "tenant-health.lua"));

    [Fact]
    public void The_argocd_cm_patch_carries_the_health_check_Lua_verbatim()
    {
        var patch = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
            File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "argocd-cm-patch.yaml")));

        var data = (Dictionary<object, object>)patch["data"];

        Assert.Equal(Script, data["resource.customizations.health.controlplane.econt.io_Tenant"]);
    }

    [Fact]
    public void A_tenant_without_status_is_Progressing()
    {
        Assert.Equal("Progressing", Health(Tenant(generation: 1)).Status);
    }

    [Fact]
    public void A_tenant_the_operator_has_not_seen_at_this_generation_is_Progressing()
    {
        var tenant = Tenant(generation: 1);
        tenant.Status = TenantStatusRules.Blocked(tenant, TenantReadyReason.Provisioning, "Provisioning the tenant database.", Now);
        tenant.Metadata.Generation = 2;

        Assert.Equal(("Progressing", "Waiting for the operator to observe generation 2"), Health(tenant));
    }

    [Fact]
    public void A_tenant_being_provisioned_or_waiting_for_its_server_is_Progressing_with_the_operator_message()
    {
        var tenant = Tenant(generation: 3);
        tenant.Status = TenantStatusRules.Blocked(tenant, TenantReadyReason.DatabaseServerUnavailable, "server 'default' refused connections.", Now);

        var (status, message) = Health(tenant);

        Assert.Equal("Progressing", status);
        Assert.Equal("DatabaseServerUnavailable: server 'default' refused connections.", message);
    }

    [Theory]
    [InlineData(TenantReadyReason.SlugConflict)]
    [InlineData(TenantReadyReason.DatabaseNameConflict)]
    [InlineData(TenantReadyReason.DatabaseConflict)]
    [InlineData(TenantReadyReason.SchemaDowngradeRefused)]
    public void A_tenant_blocked_by_a_conflict_only_a_human_can_resolve_is_Degraded(TenantReadyReason reason)
    {
        var tenant = Tenant(generation: 1);
        tenant.Status = TenantStatusRules.Blocked(tenant, reason, "taken.", Now);

        Assert.Equal("Degraded", Health(tenant).Status);
    }

    [Fact]
    public void A_tenant_with_an_invalid_spec_is_Degraded()
    {
        var tenant = Tenant(generation: 1);
        tenant.Status = TenantStatusRules.Invalid(tenant, ["spec.database.server 'x' is unknown."], Now);

        Assert.Equal(("Degraded", "InvalidSpec: spec.database.server 'x' is unknown."), Health(tenant));
    }

    [Theory]
    [InlineData(TenantPhases.Active, "Healthy")]
    [InlineData(TenantPhases.Suspended, "Suspended")]
    public void A_ready_tenant_is_Healthy_unless_suspended(string phase, string expected)
    {
        var tenant = Tenant(generation: 1);
        tenant.Status = new TenantStatus
        {
            Phase = phase,
            ObservedGeneration = 1,
            Conditions = Conditions.Set(null, TenantConditions.Ready, Conditions.True, "Provisioned", "Database ready.", 1, Now),
        };

        Assert.Equal(expected, Health(tenant).Status);
    }

    private static Tenant Tenant(long generation) =>
        new() { Metadata = new V1ObjectMeta { Name = "acme", NamespaceProperty = "tenants", Generation = generation } };

    /// <summary>Runs the shipped script as Argo CD does: <c>obj</c> is the live object, the script returns <c>hs</c>.</summary>
    private static (string Status, string Message) Health(Tenant tenant)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(tenant))!.AsObject();
        if (tenant.Status.Phase is null && tenant.Status.Conditions is null)
        {
            json.Remove("status");
        }

        using var lua = new Lua();
        lua.DoString($"obj = {LuaTable.From(json)}\nlocal function check()\n{Script}\nend\nresult = check()");
        return ((string)lua["result.status"], (string)lua["result.message"]);
    }
}
