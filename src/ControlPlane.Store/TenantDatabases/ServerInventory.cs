namespace ControlPlane.Store.TenantDatabases;

/// <summary>
/// What one tenant database server holds, as the estate audit sees it: every database but the templates and the
/// maintenance database, and every role whose comment is an ownership mark (<see cref="OwnershipMark"/>). Read from the
/// shared catalogs only, in one statement; nothing is changed.
/// </summary>
public sealed record ServerInventory(IReadOnlyList<InventoryObject> Databases, IReadOnlyList<InventoryObject> Roles);

/// <summary>
/// One database or role of a server.
/// </summary>
/// <param name="Name">The database or role name.</param>
/// <param name="Mark">The tenant its comment marks it for; null when it carries no mark (unmarked, or another comment).</param>
/// <param name="Administered">
/// Whether the server's admin role is a member of the role (for a database: of its owner). The operator's own objects
/// always are (it grants itself every role it creates); a marked object it is not a member of belongs to another control
/// plane sharing the server (another environment, another test) and is not this estate's.
/// </param>
public sealed record InventoryObject(string Name, Guid? Mark, bool Administered);
