namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>Every served resource, looked up by group, version and plural.</summary>
internal sealed class ResourceRegistry
{
    private readonly List<ResourceType> _types = [];

    public ResourceRegistry(IEnumerable<ResourceType> types)
    {
        foreach (var type in types)
        {
            if (_types.Any(t => t.StorageKey == type.StorageKey))
            {
                throw new InvalidOperationException($"resource {type.GroupResource} is defined twice");
            }

            _types.Add(type);
        }
    }

    public IReadOnlyList<ResourceType> Types => _types;

    public ResourceType? Find(string group, string version, string plural) =>
        _types.FirstOrDefault(t => t.Group == group && t.Plural == plural && t.FindVersion(version) is not null);

    /// <summary>Groups in discovery order: the core group first, then built-in groups, then custom resource groups by name.</summary>
    public IEnumerable<(string Group, IReadOnlyList<string> Versions)> Groups() =>
        _types
            .Where(t => t.Group.Length > 0)
            .GroupBy(t => t.Group)
            .OrderBy(g => g.Any(t => t.IsCustom) ? 1 : 0)
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, (IReadOnlyList<string>)g.SelectMany(t => t.Versions.Select(v => v.Name)).Distinct().Order(KubeVersionComparer.Instance).ToList()));
}
