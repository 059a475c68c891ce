using ControlPlane.Store.Catalog;

namespace ControlPlane.Client;

/// <summary>
/// What <see cref="TenantConnectionResolver.ResolveAsync"/> answers: a connection, or the reason there is none.
/// The set is closed (private constructor), so a <c>switch</c> over it names every case of the status policy
/// (ADR-CP-005). Failures to read the catalog or the secret manager are not results but
/// <see cref="TenantResolutionException"/>: they say nothing about the tenant.
/// </summary>
public abstract record ResolveResult
{
    private ResolveResult()
    {
    }

    /// <summary>The tenant is active and not in maintenance: here is how to connect.</summary>
    public sealed record Resolved(TenantConnection Connection) : ResolveResult;

    /// <summary>The tenant is suspended (HTTP 423); the reason is the operator's text, never connection data.</summary>
    public sealed record Suspended(string Slug, string? Reason) : ResolveResult;

    /// <summary>The tenant is being provisioned or deleted (HTTP 409); retrying later may succeed.</summary>
    public sealed record NotReady(string Slug, CatalogTenantStatus Status) : ResolveResult;

    /// <summary>No live tenant has this slug: unknown, soft-deleted, or not a valid slug at all (HTTP 404).</summary>
    public sealed record NotFound(string Slug) : ResolveResult;

    /// <summary>The tenant is active but its maintenance flag is set (HTTP 503 with Retry-After).</summary>
    public sealed record Maintenance(string Slug, TimeSpan RetryAfter) : ResolveResult;
}
