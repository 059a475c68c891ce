using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// A tenant database server could not do what was asked (down, refusing the admin, out of resources, refusing a
/// statement), already classified by <see cref="TenantFailures.OfServer"/>.
/// </summary>
public sealed class TenantServerException(TenantFailure failure, Exception inner) : Exception(failure.Message, inner)
{
    /// <summary>The named failure: the Ready condition's reason, its message and its retry policy.</summary>
    public TenantFailure Failure { get; } = failure;

    /// <summary>The Ready condition's reason.</summary>
    public TenantReadyReason Reason => Failure.Reason;
}
