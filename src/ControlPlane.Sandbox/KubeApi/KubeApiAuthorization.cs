namespace ControlPlane.Sandbox.KubeApi;

/// <summary>Who may do what on a <see cref="KubeApiServer"/>.</summary>
public enum KubeApiAuthorization
{
    /// <summary>Every request is served, with or without credentials (the sandbox and most tests).</summary>
    AllowAll,

    /// <summary>
    /// As a cluster with <c>--authorization-mode=RBAC</c>: bearer tokens authenticate from the table
    /// <see cref="KubeApiServer.RegisterToken"/> fills (an unknown token gets 401, no token is <c>system:anonymous</c>), and
    /// every request is authorized by the stored Roles, ClusterRoles and their bindings (403 <c>Forbidden</c> otherwise).
    /// The token <see cref="KubeApiServer.AdminToken"/> is in <c>system:masters</c>.
    /// </summary>
    Rbac,
}
