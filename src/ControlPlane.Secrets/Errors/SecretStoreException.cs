using ControlPlane.Core.Secrets;

namespace ControlPlane.Secrets;

/// <summary>
/// Base of every secret-store failure. Messages name the reference (never a secret) and say what to do;
/// <see cref="IsTransient"/> tells a reconciler whether to back off and retry or to report a terminal condition.
/// </summary>
public class SecretStoreException : Exception
{
    public SecretStoreException(string message, SecretReference? reference = null, bool isTransient = false, Exception? innerException = null)
        : base(message, innerException)
    {
        Reference = reference;
        IsTransient = isTransient;
    }

    public SecretReference? Reference { get; }

    public bool IsTransient { get; }
}
