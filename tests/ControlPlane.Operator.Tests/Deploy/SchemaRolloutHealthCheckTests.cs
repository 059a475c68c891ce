using System.Text.Json.Nodes;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using k8s;
using k8s.Models;
using NLua;
using YamlDotNet.Serialization;
using Phases = ControlPlane.Operator.Api.V1Alpha1.SchemaRolloutPhase;
using Reasons = ControlPlane.Operator.Api.V1Alpha1.SchemaRolloutReason;

namespace ControlPlane.Operator.Tests.Deploy;

public sealed class SchemaRolloutHealthCheckTests
{
    private static readonly DateTimeOffset Now = new(2026, 5, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly string Script = File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "schemarollout-health.lua"));

    /// <summary>
    /// Every reason of the Progressing condition, with the phase the planner writes beside it and the health Argo CD must
    /// show. A reason added to the code and missing here fails <see cref="Every_Progressing_reason_of_the_code_has_a_health"/>.
    /// </summary>
    public static TheoryData<Reasons, Phases, string> ProgressingReasons => new()
    {
        { Reasons.Canary, Phases.Canary, "Progressing" },
        { Reasons.Rolling, Phases.Rolling, "Progressing" },
        { Reasons.OverlappingRollout, Phases.Pending, "Progressing" },
        { Reasons.CanaryNotFound, Phases.Pending, "Progressing" },
        { Reasons.Paused, Phases.Paused, "Suspended" },
        { Reasons.AwaitingApproval, Phases.AwaitingApproval, "Suspended" },
        { Reasons.FailureBudgetExceeded, Phases.Halted, "Degraded" },
        { Reasons.InvalidSpec, Phases.Pending, "Degraded" },
        { Reasons.Succeeded, Phases.Succeeded, "Healthy" },
    };

    /// <summary>Reasons of the Degraded condition: they inform, the Progressing condition and the phase decide.</summary>
    private static readonly Reasons[] DegradedConditionReasons = [Reasons.TenantsFailed, Reasons.NoFailures];

    [Fact]
    public void The_argocd_cm_patch_carries_the_health_check_Lua_verbatim()
    {
        var patch = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
            File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "argocd-cm-patch.yaml")));

        var data = (Dictionary<object, object>)patch["data"];

        Assert.Equal(Script, data["resource.customizations.health.controlplane.econt.io_SchemaRollout"]);
    }

    [Fact]
    public void Every_Progressing_reason_of_the_code_has_a_health()
    {
        var inCode = Enum.GetValues<Reasons>().ToHashSet();
        var covered = ProgressingReasons.Select(row => row.Data.Item1).Concat(DegradedConditionReasons).ToHashSet();

        Assert.Equal(inCode.Order(), covered.Order());
    }

    [Theory]
    [MemberData(nameof(ProgressingReasons))]
    public void A_rollout_shows_the_health_of_its_Progressing_reason(Reasons reason, Phases phase, string expected)
    {
        var rollout = Rollout(phase, reason, degraded: Reasons.NoFailures);

        Assert.Equal((expected, $"{reason.ToWire()}: because."), Health(rollout));
    }

    [Theory]
    [InlineData(Reasons.TenantsFailed)]
    [InlineData(Reasons.NoFailures)]
    public void Failed_tenants_within_the_budget_leave_a_rolling_rollout_Progressing(Reasons degradedReason)
    {
        Assert.Equal("Progressing", Health(Rollout(Phases.Rolling, Reasons.Rolling, degradedReason)).Status);
    }

    [Fact]
    public void A_rollout_without_status_or_at_an_older_generation_is_Progressing()
    {
        var fresh = new SchemaRollout { Metadata = new V1ObjectMeta { Name = "v3", NamespaceProperty = "tenants", Generation = 1 } };
        var behind = Rollout(Phases.Succeeded, Reasons.Succeeded, Reasons.NoFailures);
        behind.Metadata.Generation = 2;

        Assert.Equal("Progressing", Health(fresh).Status);
        Assert.Equal(("Progressing", "Waiting for the operator to observe generation 2"), Health(behind));
    }

    private static SchemaRollout Rollout(Phases phase, Reasons reason, Reasons degraded)
    {
        var progressing = Conditions.Set(null, SchemaRolloutConditions.Progressing,
            phase is Phases.Canary or Phases.Rolling ? Conditions.True : Conditions.False, reason.ToWire(), "because.", 1, Now);
        return new SchemaRollout
        {
            Metadata = new V1ObjectMeta { Name = "v3", NamespaceProperty = "tenants", Generation = 1 },
            Status = new SchemaRolloutStatus
            {
                Phase = phase.ToWire(),
                ObservedGeneration = 1,
                Conditions = Conditions.Set(progressing, SchemaRolloutConditions.Degraded,
                    degraded == Reasons.TenantsFailed ? Conditions.True : Conditions.False, degraded.ToWire(), "tenants.", 1, Now),
            },
        };
    }

    /// <summary>Runs the shipped script as Argo CD does: <c>obj</c> is the live object, the script returns <c>hs</c>.</summary>
    private static (string Status, string Message) Health(SchemaRollout rollout)
    {
        var json = JsonNode.Parse(KubernetesJson.Serialize(rollout))!.AsObject();
        if (rollout.Status.Conditions is null)
        {
            json.Remove("status");
        }

        using var lua = new Lua();
        lua.DoString($"obj = {LuaTable.From(json)}\nlocal function check()\n{Script}\nend\nresult = check()");
        return ((string)lua["result.status"], (string)lua["result.message"]);
    }
}
