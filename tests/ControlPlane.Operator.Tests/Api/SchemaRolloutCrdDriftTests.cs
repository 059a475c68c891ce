using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Tests.Api;

public sealed class SchemaRolloutCrdDriftTests
{
    private readonly TenantCrd _crd = TenantCrd.Load("controlplane.econt.io_schemarollouts.yaml");

    [Fact]
    public void The_CRD_schema_and_the_SchemaRollout_types_describe_the_same_fields_both_ways()
    {
        var differences = CrdSchemaComparer.Compare("schemarollout", _crd.Root, typeof(SchemaRollout));

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_CRD_names_group_version_and_kind_match_the_code()
    {
        var names = TenantCrd.Map(_crd.Spec, "names");

        Assert.Equal($"{SchemaRollout.Plural}.{Tenant.ApiGroup}", TenantCrd.Map(_crd.Document, "metadata")["name"]);
        Assert.Equal(Tenant.ApiGroup, _crd.Spec["group"]);
        Assert.Equal("Namespaced", _crd.Spec["scope"]);
        Assert.Equal(Tenant.ApiVersionName, _crd.Version["name"]);
        Assert.Equal(SchemaRollout.KindName, names["kind"]);
        Assert.Equal(SchemaRollout.Plural, names["plural"]);
    }

    [Fact]
    public void Phase_enum_and_printer_columns_are_the_ones_users_see()
    {
        var phases = ((IList<object>)_crd.Property("status.phase")["enum"]).Cast<string>();
        var columns = ((IList<object>)_crd.Version["additionalPrinterColumns"]).Cast<IDictionary<object, object>>().Select(c => (string)c["name"]);

        Assert.Equal(Enum.GetValues<SchemaRolloutPhase>().Select(p => p.ToWire()), phases);
        Assert.Equal(["Target", "Phase", "Migrated", "Failed", "Total", "Wave", "Age"], columns);
    }

    [Fact]
    public void The_target_version_has_the_Tenant_schemaVersion_pattern_and_is_immutable()
    {
        var tenant = TenantCrd.Load();
        var target = _crd.Property("spec.targetVersion");
        var rules = ((IList<object>)target["x-kubernetes-validations"]).Cast<IDictionary<object, object>>().Select(r => r["rule"]);

        Assert.Equal(tenant.Property("spec.schemaVersion")["pattern"], target["pattern"]);
        Assert.Contains("self == oldSelf", rules);
    }
}
