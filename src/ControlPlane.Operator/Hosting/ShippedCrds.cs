namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The CustomResourceDefinitions this build ships beside the executable (<c>crds/</c>, copied from <c>config/crds</c>):
/// what the sandbox serves and what <c>doctor</c> expects installed; and the RBAC (<c>rbac/</c>, from <c>config/rbac</c>),
/// whose every rule <c>doctor</c> checks with a SelfSubjectAccessReview.
/// </summary>
internal static class ShippedCrds
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "crds");

    public static string RbacDirectory => Path.Combine(AppContext.BaseDirectory, "rbac");
}
