using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Controllers;

/// <summary>A tenant database server could not do what was asked (down, refusing the admin, out of resources). Retried.</summary>
public sealed class TenantServerException(string message, Exception inner, string reason = TenantConditions.Reasons.DatabaseServerUnavailable)
    : Exception(message, inner)
{
    /// <summary>The Ready condition's reason: unavailable, or a permission the admin role lacks.</summary>
    public string Reason { get; } = reason;
}
