using System.Text.Json.Nodes;

namespace ControlPlane.Store.Catalog;

public sealed partial class TenantCatalog
{
    /// <summary>
    /// Writes one <c>drift_repaired {"what", "steps", "schema"}</c> event: a resync found the tenant's database, roles or
    /// schema changed by hand and restored them. Not idempotent (every call is one repair); refused for deleted tenants.
    /// The catalog row itself is not changed: the repair restored what the catalog already said.
    /// </summary>
    public Task<TenantEvent> RecordDriftRepairAsync(Guid id, DriftRepair repair, string actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(repair);
        if (repair.What.Count == 0)
        {
            throw new ArgumentException("A drift repair names what was repaired.", nameof(repair));
        }

        ValidateActor(actor);
        return WithLockedTenantAsync(id, async (connection, transaction, tenant) =>
        {
            EnsureWritable(tenant, "record a drift repair", allowDeleting: false);
            var payload = new JsonObject
            {
                ["what"] = new JsonArray([.. repair.What.Select(w => (JsonNode)w)]),
                ["steps"] = new JsonArray([.. repair.Steps.Select(s => (JsonNode)s)]),
            };
            if (repair.SchemaTo is not null)
            {
                payload["schema"] = new JsonObject { ["from"] = repair.SchemaFrom, ["to"] = repair.SchemaTo };
            }

            return await CatalogCommands.InsertEventReturningAsync(connection, transaction, id, CatalogEventType.DriftRepaired, actor, payload, cancellationToken);
        }, cancellationToken);
    }
}
