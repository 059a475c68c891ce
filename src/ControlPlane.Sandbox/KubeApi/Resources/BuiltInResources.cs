namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>The built-in kinds the operator uses, with the storage rules of their kube-apiserver strategies.</summary>
internal static class BuiltInResources
{
    public static readonly ResourceType Namespaces = Core("Namespace", "namespaces", "namespace", namespaced: false, ["ns"], allowCreateOnUpdate: false);

    public static readonly ResourceType Secrets = Core("Secret", "secrets", "secret", namespaced: true, [], allowCreateOnUpdate: false);

    public static readonly ResourceType Events = Core("Event", "events", "event", namespaced: true, ["ev"], allowCreateOnUpdate: true);

    public static readonly ResourceType Leases = new()
    {
        Group = "coordination.k8s.io",
        Kind = "Lease",
        Plural = "leases",
        Singular = "lease",
        Namespaced = true,
        Versions = [new ServedVersion("v1", null, [])],
        AllowCreateOnUpdate = true,
    };

    public static readonly ResourceType TokenReviews = new()
    {
        Group = "authentication.k8s.io",
        Kind = "TokenReview",
        Plural = "tokenreviews",
        Singular = "tokenreview",
        Namespaced = false,
        Versions = [new ServedVersion("v1", null, [])],
        CreateOnly = true,
    };

    public static readonly ResourceType SelfSubjectAccessReviews = new()
    {
        Group = "authorization.k8s.io",
        Kind = "SelfSubjectAccessReview",
        Plural = "selfsubjectaccessreviews",
        Singular = "selfsubjectaccessreview",
        Namespaced = false,
        Versions = [new ServedVersion("v1", null, [])],
        CreateOnly = true,
    };

    public static readonly ResourceType CustomResourceDefinitions = new()
    {
        Group = "apiextensions.k8s.io",
        Kind = "CustomResourceDefinition",
        Plural = "customresourcedefinitions",
        Singular = "customresourcedefinition",
        ShortNames = ["crd", "crds"],
        Namespaced = false,
        Versions = [new ServedVersion("v1", null, [])],
        ReadOnly = true,
    };

    public static IReadOnlyList<ResourceType> All { get; } = [Namespaces, Secrets, Events, Leases, TokenReviews, SelfSubjectAccessReviews, CustomResourceDefinitions];

    private static ResourceType Core(string kind, string plural, string singular, bool namespaced, string[] shortNames, bool allowCreateOnUpdate) => new()
    {
        Group = string.Empty,
        Kind = kind,
        Plural = plural,
        Singular = singular,
        Namespaced = namespaced,
        ShortNames = shortNames,
        Versions = [new ServedVersion("v1", null, [])],
        AllowCreateOnUpdate = allowCreateOnUpdate,
    };
}
