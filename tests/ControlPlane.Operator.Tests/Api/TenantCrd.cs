using YamlDotNet.Serialization;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>The shipped CRD, parsed, with accessors for the parts tests look at.</summary>
internal sealed class TenantCrd
{
    private TenantCrd(IDictionary<object, object> document) => Document = document;

    public IDictionary<object, object> Document { get; }

    public IDictionary<object, object> Version => (IDictionary<object, object>)((IList<object>)Spec["versions"])[0];

    public IDictionary<object, object> Root => Map(Map(Version, "schema"), "openAPIV3Schema");

    public IDictionary<object, object> Spec => Map(Document, "spec");

    public static TenantCrd Load(string file = "controlplane.econt.io_tenants.yaml") =>
        new((IDictionary<object, object>)new DeserializerBuilder().Build()
            .Deserialize<object>(File.ReadAllText(RepositoryFiles.PathOf("config", "crds", file)))!);

    public static IDictionary<object, object> Map(IDictionary<object, object> node, params string[] path) =>
        path.Aggregate(node, (n, key) => (IDictionary<object, object>)n[key]);

    /// <summary>The schema node at a dotted path below the root, e.g. <c>spec.credentials.secretRef</c>.</summary>
    public IDictionary<object, object> Property(string dotted) =>
        dotted.Split('.').Aggregate(Root, (n, key) => Map(n, "properties", key));
}
