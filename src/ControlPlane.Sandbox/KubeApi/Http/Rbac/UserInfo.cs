namespace ControlPlane.Sandbox.KubeApi.Http.Rbac;

/// <summary>An authenticated (or anonymous) caller, as kube-apiserver's authenticators hand it to the authorizer.</summary>
internal sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public const string Masters = "system:masters";

    public static readonly UserInfo Anonymous = new("system:anonymous", ["system:unauthenticated"]);

    public bool IsServiceAccount(string ns, string name) => Name == $"system:serviceaccount:{ns}:{name}";
}
