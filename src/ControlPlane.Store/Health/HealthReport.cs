namespace ControlPlane.Store.Health;

/// <summary>The outcome of every health check; healthy when no check has offenders.</summary>
public sealed record HealthReport(TimeSpan StuckAfter, IReadOnlyList<HealthCheckResult> Checks)
{
    public bool Healthy => Checks.All(c => c.Passed);

    /// <summary>Live tenants per schema version (informational: misalignment already fails schema_version_drift).</summary>
    public IReadOnlyList<SchemaVersionCount> SchemaVersions { get; init; } = [];
}

/// <summary>How many live tenants are at one schema version, and how many of those are misaligned with their last migrated event.</summary>
public sealed record SchemaVersionCount(string Version, long Tenants, long Misaligned);

/// <summary>One check and the tenants that break it.</summary>
public sealed record HealthCheckResult(string Name, string Description, IReadOnlyList<HealthOffender> Offenders)
{
    public bool Passed => Offenders.Count == 0;
}

/// <summary>A tenant that breaks a check, with a one-line explanation (never connection data or secrets).</summary>
public sealed record HealthOffender(Guid TenantId, string Slug, string Detail);
