namespace ControlPlane.Client;

/// <summary>
/// The resolver could not answer: the catalog or the secret manager failed. Nothing about the tenant's status
/// is implied and no partial connection is returned. The message names the slug and, for secrets, the reference,
/// never a value; <see cref="IsTransient"/> says whether retrying may help.
/// </summary>
public sealed class TenantResolutionException : Exception
{
    public TenantResolutionException(string slug, ResolutionFailure failure, string message, bool isTransient, Exception? innerException = null)
        : base(message, innerException)
    {
        Slug = slug;
        Failure = failure;
        IsTransient = isTransient;
    }

    public string Slug { get; }

    public ResolutionFailure Failure { get; }

    public bool IsTransient { get; }
}

/// <summary>Which dependency failed.</summary>
public enum ResolutionFailure
{
    /// <summary>The catalog database could not be read.</summary>
    Catalog,

    /// <summary>The tenant's password could not be read from the secret manager.</summary>
    Secret,
}
