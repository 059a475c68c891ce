namespace ControlPlane.Sandbox.KubeApi.Http.Rbac;

/// <summary>
/// What a request asks to do, as RBAC sees it: a verb on a resource (group, resource, optional subresource, namespace,
/// name) or on a non-resource path.
/// </summary>
internal sealed record RequestAttributes(string Verb, string? Group, string? Resource, string? Subresource, string? Namespace, string? Name, string? Path)
{
    public bool IsResourceRequest => Resource is not null;

    public static RequestAttributes ForResource(string verb, string group, string resource, string? subresource, string? ns, string? name) =>
        new(verb, group, resource, subresource, ns, name, null);

    public static RequestAttributes ForPath(string verb, string path) => new(verb, null, null, null, null, null, path);

    /// <summary>kube-apiserver's Forbidden message for this request.</summary>
    public string ForbiddenMessage(UserInfo user)
    {
        if (!IsResourceRequest)
        {
            return $"forbidden: User \"{user.Name}\" cannot {Verb} path \"{Path}\"";
        }

        var groupResource = string.IsNullOrEmpty(Group) ? Resource : $"{Resource}.{Group}";
        var what = Name is null ? groupResource : $"{groupResource} \"{Name}\"";
        var resource = Subresource is null ? Resource : $"{Resource}/{Subresource}";
        var scope = Namespace is null ? "at the cluster scope" : $"in the namespace \"{Namespace}\"";
        return $"{what} is forbidden: User \"{user.Name}\" cannot {Verb} resource \"{resource}\" in API group \"{Group}\" {scope}";
    }
}
