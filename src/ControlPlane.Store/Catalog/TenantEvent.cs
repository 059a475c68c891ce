using System.Text.Json;

namespace ControlPlane.Store.Catalog;

/// <summary>One audit row of <c>control_plane.tenant_events</c>.</summary>
public sealed record TenantEvent(Guid Id, Guid TenantId, string EventType, string Actor, JsonElement? Payload, DateTimeOffset CreatedAt)
{
    /// <summary>Keyset position of this event in <see cref="TenantCatalog.GetEventsAsync"/>.</summary>
    public TenantCursor Cursor => new(CreatedAt, Id);
}
