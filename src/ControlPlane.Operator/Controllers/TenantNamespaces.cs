namespace ControlPlane.Operator.Controllers;

/// <summary>
/// The namespaces whose Tenants the operator serves: those of <c>WATCH_NAMESPACES</c>, or, when it is empty, every
/// namespace but the operator's own (<c>POD_NAMESPACE</c>), which holds the tenant database servers' admin secrets and so
/// must never be a Tenant author's namespace (issue 12). A Tenant elsewhere is refused before any side effect.
/// </summary>
public sealed record TenantNamespaces(IReadOnlyCollection<string> Watched, string? OperatorNamespace)
{
    public bool Serves(string @namespace) =>
        Watched.Count > 0 ? Watched.Contains(@namespace, StringComparer.Ordinal) : @namespace != OperatorNamespace;

    /// <summary>Why a Tenant of <paramref name="namespace"/> is not served, as the Ready condition says it.</summary>
    public string Refusal(string @namespace) =>
        Watched.Count > 0
            ? $"namespace {@namespace} is not one the operator serves Tenants in (WATCH_NAMESPACES)."
            : $"namespace {@namespace} is the operator's own; it holds the operator's secrets and serves no Tenants. Create the Tenant in another namespace.";
}
