namespace ControlPlane.Sandbox.KubeApi.Resources;

/// <summary>The built-in kinds the operator uses, with the storage rules of their kube-apiserver strategies.</summary>
internal static class BuiltInResources
{
    public static readonly ResourceType Namespaces = Core("Namespace", "namespaces", "namespace", namespaced: false, ["ns"], allowCreateOnUpdate: false);

    public static readonly ResourceType Secrets = Core("Secret", "secrets", "secret", namespaced: true, [], allowCreateOnUpdate: false);

    public static readonly ResourceType Events = Core("Event", "events", "event", namespaced: true, ["ev"], allowCreateOnUpdate: true);

    public static readonly ResourceType ServiceAccounts = Core("ServiceAccount", "serviceaccounts", "serviceaccount", namespaced: true, ["sa"], allowCreateOnUpdate: false);

    public static readonly ResourceType Roles = Rbac("Role", "roles", "role", namespaced: true);

    public static readonly ResourceType ClusterRoles = Rbac("ClusterRole", "clusterroles", "clusterrole", namespaced: false);

    public static readonly ResourceType RoleBindings = Rbac("RoleBinding", "rolebindings", "rolebinding", namespaced: true);

    public static readonly ResourceType ClusterRoleBindings = Rbac("ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", namespaced: false);

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

    public static IReadOnlyList<ResourceType> All { get; } =
    [
        Namespaces, Secrets, Events, ServiceAccounts, Roles, ClusterRoles, RoleBindings, ClusterRoleBindings, Leases, TokenReviews,
        SelfSubjectAccessReviews, CustomResourceDefinitions,
    ];

    // kube-apiserver's RBAC strategies allow create-on-update (kubectl apply of a Role works either way).
    private static ResourceType Rbac(string kind, string plural, string singular, bool namespaced) => new()
    {
        Group = "rbac.authorization.k8s.io",
        Kind = kind,
        Plural = plural,
        Singular = singular,
        Namespaced = namespaced,
        Versions = [new ServedVersion("v1", null, [])],
        AllowCreateOnUpdate = true,
    };

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
