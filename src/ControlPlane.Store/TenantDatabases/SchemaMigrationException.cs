namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// A tenant schema migration was refused or failed. <see cref="Reason"/> is a stable CamelCase word for conditions;
/// the message is safe to show (it never contains credentials).
/// </summary>
public sealed class SchemaMigrationException(string reason, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Reason { get; } = reason;
}
