namespace ControlPlane.Store.Catalog;

/// <summary>
/// A keyset position: the timestamp the listing is ordered by (newest first) and the id that breaks ties.
/// Pass the <c>Next</c> of one page to get the following page; stable under inserts, no OFFSET scans.
/// </summary>
public readonly record struct TenantCursor(DateTimeOffset At, Guid Id);

/// <summary>One page of a keyset listing; <see cref="Next"/> is null on the last page.</summary>
public sealed record CatalogPage<T>(IReadOnlyList<T> Items, TenantCursor? Next);
