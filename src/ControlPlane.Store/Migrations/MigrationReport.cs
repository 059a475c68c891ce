namespace ControlPlane.Store.Migrations;

/// <summary>What one migration run did.</summary>
/// <param name="Applied">Scripts applied by this run; 0 means the database was already current.</param>
/// <param name="Version">The newest applied versioned migration, or null when none exists.</param>
public sealed record MigrationReport(int Applied, string? Version);
