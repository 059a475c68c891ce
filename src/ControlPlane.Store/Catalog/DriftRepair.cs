namespace ControlPlane.Store.Catalog;

/// <summary>
/// What one resync put back for a tenant (payload of <c>drift_repaired</c>): names of what had drifted, the steps that
/// converged it, and the schema versions when the database had to be migrated again. Names only, never values.
/// </summary>
/// <param name="What">What had drifted, e.g. <c>database</c>, <c>role</c>, <c>connection_limit</c>, <c>schema</c>.</param>
/// <param name="Steps">The converging steps applied, by name (e.g. <c>CreateDatabase</c>).</param>
/// <param name="SchemaFrom">The version the tenant's own changelog held before the repair (null: empty database).</param>
/// <param name="SchemaTo">The catalog's recorded version the database was migrated back to; null when the schema was not touched.</param>
public sealed record DriftRepair(IReadOnlyList<string> What, IReadOnlyList<string> Steps, string? SchemaFrom = null, string? SchemaTo = null);
