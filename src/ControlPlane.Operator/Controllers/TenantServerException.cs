namespace ControlPlane.Operator.Controllers;

/// <summary>A tenant database server could not do what was asked (down, refusing the admin, out of resources). Retried.</summary>
public sealed class TenantServerException(string message, Exception inner) : Exception(message, inner);
