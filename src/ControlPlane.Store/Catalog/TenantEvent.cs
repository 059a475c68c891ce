using System.Text.Json;

namespace ControlPlane.Store.Catalog;

/// <summary>
/// One audit row of <c>control_plane.tenant_events</c>. <see cref="EventType"/> is the row's text as stored; read it
/// with <see cref="CatalogEventTypes.TryParse"/> (a row written by a newer version may name a type this one does not
/// know, and reading the row must not fail for it).
/// </summary>
public sealed record TenantEvent(Guid Id, Guid TenantId, string EventType, string Actor, JsonElement? Payload, DateTimeOffset CreatedAt)
{
    /// <summary>Keyset position of this event in <see cref="TenantCatalog.GetEventsAsync"/>.</summary>
    public TenantCursor Cursor => new(CreatedAt, Id);
}
