using YamlDotNet.Serialization;

namespace ControlPlane.Operator.Tests.Deploy;

public sealed class TenantHealthCheckTests
{
    [Fact]
    public void The_argocd_cm_patch_carries_the_health_check_Lua_verbatim()
    {
        var lua = File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "tenant-health.lua"));
        var patch = new DeserializerBuilder().Build().Deserialize<Dictionary<string, object>>(
            File.ReadAllText(RepositoryFiles.PathOf("config", "argocd", "argocd-cm-patch.yaml")));

        var data = (Dictionary<object, object>)patch["data"];

        Assert.Equal(lua, data["resource.customizations.health.controlplane.econt.io_Tenant"]);
    }
}
