namespace ControlPlane.Store.Catalog;

/// <summary>
/// One status-changing intent of <see cref="TenantCatalog"/>: where it leads, from where it may start,
/// where it is already satisfied (a no-op, no events) and the event it writes besides <c>status_changed</c>.
/// The whole lifecycle is the union of these rows (ADR-CP-001):
/// <code>
/// provisioning ─MarkActive→ active ─MarkSuspended→ suspended ─MarkResumed→ active
/// provisioning | active | suspended ─MarkDeleting→ deleting ─MarkDeleted→ deleted (terminal)
/// </code>
/// </summary>
internal sealed record StatusIntent(
    CatalogTenantStatus Target,
    IReadOnlySet<CatalogTenantStatus> From,
    IReadOnlySet<CatalogTenantStatus> AlreadyDone,
    CatalogEventType EventType)
{
    public static readonly StatusIntent Activate = new(
        CatalogTenantStatus.Active, new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Provisioning },
        new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Active }, CatalogEventType.Provisioned);

    public static readonly StatusIntent Suspend = new(
        CatalogTenantStatus.Suspended, new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Active },
        new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Suspended }, CatalogEventType.Suspended);

    public static readonly StatusIntent Resume = new(
        CatalogTenantStatus.Active, new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Suspended },
        new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Active }, CatalogEventType.Resumed);

    // Deleting an already deleted tenant is "already done": a finalizer retried after MarkDeleted must not fail.
    public static readonly StatusIntent StartDeletion = new(
        CatalogTenantStatus.Deleting, new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Provisioning, CatalogTenantStatus.Active, CatalogTenantStatus.Suspended },
        new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Deleting, CatalogTenantStatus.Deleted }, CatalogEventType.Deleting);

    public static readonly StatusIntent FinishDeletion = new(
        CatalogTenantStatus.Deleted, new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Deleting },
        new HashSet<CatalogTenantStatus> { CatalogTenantStatus.Deleted }, CatalogEventType.Deleted);

    public static IReadOnlyList<StatusIntent> All { get; } = [Activate, Suspend, Resume, StartDeletion, FinishDeletion];

    /// <summary>Whether any intent moves a tenant from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsLegal(CatalogTenantStatus from, CatalogTenantStatus to) => All.Any(i => i.Target == to && i.From.Contains(from));
}
