namespace ControlPlane.Store.TenantDatabases;

/// <summary>What a tenant schema migration did: <see cref="From"/> is null for a new database.</summary>
public sealed record SchemaMigrationOutcome(SchemaVersion? From, SchemaVersion To, int Applied)
{
    public bool Changed => Applied > 0;
}
