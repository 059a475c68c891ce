using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Tests.Api;

public sealed class TenantCrdDriftTests
{
    private readonly TenantCrd _crd = TenantCrd.Load();

    [Fact]
    public void The_CRD_schema_and_the_Tenant_types_describe_the_same_fields_both_ways()
    {
        var differences = CrdSchemaComparer.Compare("tenant", _crd.Root, typeof(Tenant));

        Assert.True(differences.Count == 0, string.Join("\n", differences));
    }

    [Fact]
    public void The_comparer_reports_a_field_missing_on_either_side()
    {
        var spec = new Dictionary<object, object>(_crd.Property("spec"));
        var properties = new Dictionary<object, object>((IDictionary<object, object>)spec["properties"]);
        properties.Remove("billingPlan");
        properties["nickname"] = new Dictionary<object, object> { ["type"] = "string" };
        spec["properties"] = properties;

        var differences = CrdSchemaComparer.Compare("spec", spec, typeof(TenantSpec));

        Assert.Contains("spec.billingPlan is in TenantSpec but not in the CRD", differences);
        Assert.Contains("spec.nickname is in the CRD but not in TenantSpec", differences);
    }

    [Fact]
    public void The_comparer_reports_a_type_mismatch()
    {
        var limits = new Dictionary<object, object>(_crd.Property("spec.limits"));
        var properties = new Dictionary<object, object>((IDictionary<object, object>)limits["properties"])
        {
            ["maxUsers"] = new Dictionary<object, object> { ["type"] = "string" },
        };
        limits["properties"] = properties;

        var differences = CrdSchemaComparer.Compare("limits", limits, typeof(TenantLimits));

        Assert.Equal(["limits.maxUsers: CRD type string does not match Nullable`1"], differences);
    }

    [Fact]
    public void The_CRD_names_group_version_kind_and_finalizer_match_the_code()
    {
        var names = TenantCrd.Map(_crd.Spec, "names");

        Assert.Equal($"{Tenant.Plural}.{Tenant.ApiGroup}", TenantCrd.Map(_crd.Document, "metadata")["name"]);
        Assert.Equal(Tenant.ApiGroup, _crd.Spec["group"]);
        Assert.Equal(Tenant.ApiVersionName, _crd.Version["name"]);
        Assert.Equal(Tenant.KindName, names["kind"]);
        Assert.Equal(Tenant.Plural, names["plural"]);
        Assert.Equal(["tn"], ((IList<object>)names["shortNames"]).Cast<string>());
        Assert.Equal(["econt"], ((IList<object>)names["categories"]).Cast<string>());
        Assert.StartsWith(Tenant.ApiGroup + "/", Tenant.Finalizer, StringComparison.Ordinal);
    }

    [Fact]
    public void The_secretRef_pattern_is_the_SecretReference_grammar_verbatim()
    {
        var secretRef = _crd.Property("spec.credentials.secretRef");
        var rule = (string)((IDictionary<object, object>)((IList<object>)secretRef["x-kubernetes-validations"])[0])["rule"];

        Assert.Equal(SecretReference.Pattern, secretRef["pattern"]);
        Assert.Equal(SecretReference.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture), secretRef["maxLength"]);

        // The CEL literal escapes backslashes once more than the POSIX pattern.
        Assert.Contains(SecretReference.ForbiddenPattern.Replace("\\", "\\\\", StringComparison.Ordinal), rule, StringComparison.Ordinal);
    }

    [Fact]
    public void Slug_database_server_and_database_name_carry_immutability_rules()
    {
        foreach (var field in new[] { "spec.slug", "spec.database.server", "spec.database.name" })
        {
            var rules = ((IList<object>)_crd.Property(field)["x-kubernetes-validations"]).Cast<IDictionary<object, object>>().Select(r => r["rule"]);
            Assert.Contains("self == oldSelf", rules);
        }
    }

    [Fact]
    public void Phase_enum_and_printer_columns_are_the_ones_users_see()
    {
        var phases = ((IList<object>)_crd.Property("status.phase")["enum"]).Cast<string>();
        var columns = ((IList<object>)_crd.Version["additionalPrinterColumns"]).Cast<IDictionary<object, object>>().Select(c => (string)c["name"]);

        Assert.Equal(TenantPhases.All, phases);
        Assert.Equal(["Slug", "Status", "Schema", "Database", "Ready", "Age"], columns);
    }
}
