namespace ControlPlane.Runtime;

/// <summary>Where a custom resource lives in the API: <c>/apis/{Group}/{Version}/namespaces/{ns}/{Plural}</c>.</summary>
public sealed record ResourceDescriptor(string Group, string Version, string Plural);
