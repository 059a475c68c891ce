namespace ControlPlane.Store.Catalog;

/// <summary>
/// The Kubernetes object that owns a tenant row: <see cref="Namespace"/> and <see cref="Name"/> identify it (they
/// survive a re-creation from Git); <see cref="Uid"/> is a hint naming the object that last claimed the row.
/// </summary>
public sealed record TenantOwner(string Namespace, string Name, string? Uid = null)
{
    /// <summary>Same object identity (namespace and name); the uid is not compared.</summary>
    public bool IsSameObject(TenantOwner? other) =>
        other is not null && string.Equals(Namespace, other.Namespace, StringComparison.Ordinal) && string.Equals(Name, other.Name, StringComparison.Ordinal);
}
