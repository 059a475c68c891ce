using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Tests.Api;

public sealed class TenantDatabaseServerCrdTests
{
    private readonly TenantCrd _crd = TenantCrd.Load("controlplane.econt.io_tenantdatabaseservers.yaml");

    [Fact]
    public void The_CRD_schema_and_the_TenantDatabaseServer_types_describe_the_same_fields_both_ways()
    {
        var differences = CrdSchemaComparer.Compare("tenantdatabaseserver", _crd.Root, typeof(TenantDatabaseServerResource));

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_CRD_is_cluster_scoped_with_the_names_of_the_code()
    {
        var names = TenantCrd.Map(_crd.Spec, "names");

        Assert.Equal($"{TenantDatabaseServerResource.Plural}.{Tenant.ApiGroup}", TenantCrd.Map(_crd.Document, "metadata")["name"]);
        Assert.Equal(Tenant.ApiGroup, _crd.Spec["group"]);
        Assert.Equal("Cluster", _crd.Spec["scope"]);
        Assert.Equal(Tenant.ApiVersionName, _crd.Version["name"]);
        Assert.Equal(TenantDatabaseServerResource.KindName, names["kind"]);
        Assert.Equal(TenantDatabaseServerResource.Plural, names["plural"]);
    }

    [Fact]
    public void Printer_columns_show_readiness_load_capacity_and_draining()
    {
        var columns = ((IList<object>)_crd.Version["additionalPrinterColumns"]).Cast<IDictionary<object, object>>().Select(c => (string)c["name"]);

        Assert.Equal(["Host", "Ready", "Reason", "Tenants", "Max", "Draining", "Version", "Age"], columns);
    }

    [Fact]
    public void The_Tenant_CRD_no_longer_defaults_the_server_and_fixes_a_placement_once_made()
    {
        var tenant = TenantCrd.Load();
        var database = tenant.Property("spec.database");
        var rules = ((IList<object>)database["x-kubernetes-validations"]).Cast<IDictionary<object, object>>().Select(r => r["rule"]);

        Assert.False(tenant.Property("spec.database.server").ContainsKey("default"));
        Assert.Contains("has(self.server) == has(oldSelf.server)", rules);
    }
}
