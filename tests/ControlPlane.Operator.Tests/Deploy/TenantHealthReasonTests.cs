using System.Text.Json.Nodes;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using k8s;
using k8s.Models;
using NLua;
using Reasons = ControlPlane.Operator.Api.V1Alpha1.TenantReadyReason;

namespace ControlPlane.Operator.Tests.Deploy;

/// <summary>config/argocd/tenant-health.lua over every Ready reason the operator can set, as config/argocd/README.md lists them.</summary>
public sealed class TenantHealthReasonTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly string Script = File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "tenant-health.lua"));

    /// <summary>Every reason, the phase written beside it and the health Argo CD must show. A new reason fails the coverage test until added here.</summary>
    public static TheoryData<Reasons, string, string> ReadyReasons => new()
    {
        { Reasons.Provisioned, TenantPhases.Active, "Healthy" },
        { Reasons.Suspended, TenantPhases.Suspended, "Suspended" },
        { Reasons.Provisioning, TenantPhases.Provisioning, "Progressing" },
        { Reasons.SchemaMigrationFailed, TenantPhases.Active, "Progressing" },
        { Reasons.DatabaseServerUnavailable, TenantPhases.Provisioning, "Progressing" },
        { Reasons.DatabaseServerBusy, TenantPhases.Provisioning, "Progressing" },
        { Reasons.DatabasePermissionDenied, TenantPhases.Provisioning, "Progressing" },
        { Reasons.CatalogUnavailable, TenantPhases.Provisioning, "Progressing" },
        { Reasons.SecretUnavailable, TenantPhases.Provisioning, "Progressing" },
        { Reasons.Deleting, TenantPhases.Deleting, "Progressing" },
        { Reasons.InvalidSpec, TenantPhases.Provisioning, "Degraded" },
        { Reasons.SlugConflict, TenantPhases.Provisioning, "Degraded" },
        { Reasons.DatabaseNameConflict, TenantPhases.Provisioning, "Degraded" },
        { Reasons.DatabaseServerTlsFailed, TenantPhases.Provisioning, "Degraded" },
        { Reasons.DatabaseConflict, TenantPhases.Provisioning, "Degraded" },
        { Reasons.UnknownSchemaVersion, TenantPhases.Active, "Degraded" },
        { Reasons.SchemaDowngradeRefused, TenantPhases.Active, "Degraded" },
        { Reasons.DeletionBlocked, TenantPhases.Deleting, "Degraded" },
        { Reasons.DatabaseAuthenticationFailed, TenantPhases.Active, "Degraded" },
        { Reasons.CatalogRefused, TenantPhases.Provisioning, "Degraded" },
        { Reasons.SecretNotFound, TenantPhases.Provisioning, "Degraded" },
        { Reasons.SecretAccessDenied, TenantPhases.Provisioning, "Degraded" },
        { Reasons.ReconcileFailed, TenantPhases.Active, "Degraded" },
        { Reasons.NoServerAvailable, TenantPhases.Provisioning, "Degraded" },
        { Reasons.DatabaseContention, TenantPhases.Active, "Progressing" },
        { Reasons.DatabaseOperationFailed, TenantPhases.Active, "Progressing" },
        { Reasons.KubernetesApiFailed, TenantPhases.Active, "Progressing" },
    };

    [Fact]
    public void Every_Ready_reason_of_the_code_has_a_health()
    {
        var inCode = Enum.GetValues<Reasons>().Order();

        Assert.Equal(inCode, ReadyReasons.Select(row => row.Data.Item1).Order());
    }

    [Theory]
    [MemberData(nameof(ReadyReasons))]
    public void A_tenant_shows_the_health_of_its_Ready_reason(Reasons reason, string phase, string expected)
    {
        var ready = reason == Reasons.Provisioned ? Conditions.True : Conditions.False;
        var tenant = new Tenant
        {
            Metadata = new V1ObjectMeta { Name = "acme", NamespaceProperty = "tenants", Generation = 1 },
            Status = new TenantStatus
            {
                Phase = phase,
                ObservedGeneration = 1,
                Conditions = Conditions.Set(null, TenantConditions.Ready, ready, reason.ToWire(), "because.", 1, Now),
            },
        };

        using var lua = new Lua();
        lua.DoString($"obj = {LuaTable.From(JsonNode.Parse(KubernetesJson.Serialize(tenant)))}\nlocal function check()\n{Script}\nend\nresult = check()");

        Assert.Equal((expected, $"{reason.ToWire()}: because."), ((string)lua["result.status"], (string)lua["result.message"]));
    }
}
