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
    TenantStatus Target,
    IReadOnlySet<TenantStatus> From,
    IReadOnlySet<TenantStatus> AlreadyDone,
    string EventType)
{
    public static readonly StatusIntent Activate = new(
        TenantStatus.Active, new HashSet<TenantStatus> { TenantStatus.Provisioning },
        new HashSet<TenantStatus> { TenantStatus.Active }, EventTypes.Provisioned);

    public static readonly StatusIntent Suspend = new(
        TenantStatus.Suspended, new HashSet<TenantStatus> { TenantStatus.Active },
        new HashSet<TenantStatus> { TenantStatus.Suspended }, EventTypes.Suspended);

    public static readonly StatusIntent Resume = new(
        TenantStatus.Active, new HashSet<TenantStatus> { TenantStatus.Suspended },
        new HashSet<TenantStatus> { TenantStatus.Active }, EventTypes.Resumed);

    // Deleting an already deleted tenant is "already done": a finalizer retried after MarkDeleted must not fail.
    public static readonly StatusIntent StartDeletion = new(
        TenantStatus.Deleting, new HashSet<TenantStatus> { TenantStatus.Provisioning, TenantStatus.Active, TenantStatus.Suspended },
        new HashSet<TenantStatus> { TenantStatus.Deleting, TenantStatus.Deleted }, EventTypes.Deleting);

    public static readonly StatusIntent FinishDeletion = new(
        TenantStatus.Deleted, new HashSet<TenantStatus> { TenantStatus.Deleting },
        new HashSet<TenantStatus> { TenantStatus.Deleted }, EventTypes.Deleted);

    public static IReadOnlyList<StatusIntent> All { get; } = [Activate, Suspend, Resume, StartDeletion, FinishDeletion];

    /// <summary>Whether any intent moves a tenant from <paramref name="from"/> to <paramref name="to"/>.</summary>
    public static bool IsLegal(TenantStatus from, TenantStatus to) => All.Any(i => i.Target == to && i.From.Contains(from));
}
