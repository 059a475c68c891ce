namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// The server holds something under the tenant's names that the operator must not take over or destroy
/// (a database owned by another role, a privileged role). Not retried: a human decides.
/// </summary>
public sealed class TenantDatabaseConflictException(string reason, string message) : Exception(message)
{
    /// <summary>A stable CamelCase reason for conditions and events.</summary>
    public string Reason { get; } = reason;
}
