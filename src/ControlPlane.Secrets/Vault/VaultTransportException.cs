namespace ControlPlane.Secrets.Vault;

/// <summary>No HTTP answer from Vault (timeout, refused connection, TLS failure); retried for idempotent calls.</summary>
internal sealed class VaultTransportException(string message, Exception? innerException) : Exception(message, innerException);
