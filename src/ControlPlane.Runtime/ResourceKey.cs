using k8s;
using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>The work-queue key of a namespaced object: <c>namespace/name</c>.</summary>
public readonly record struct ResourceKey(string Namespace, string Name)
{
    public static ResourceKey Of(IKubernetesObject<V1ObjectMeta> resource) =>
        new(resource.Metadata.NamespaceProperty ?? "", resource.Metadata.Name);

    public override string ToString() => $"{Namespace}/{Name}";
}
