namespace ControlPlane.Operator.Audit;

/// <summary>
/// One orphan or mismatch the estate audit found, with what to do about it. Nothing is ever done automatically.
/// </summary>
/// <param name="Kind">One of <see cref="AuditFindingKinds"/>.</param>
/// <param name="Subject">The object concerned, e.g. <c>database acme on server default</c> or <c>Tenant tenants/acme</c>.</param>
/// <param name="TenantId">The catalog row the finding belongs to (its events record it); null when no row is concerned.</param>
/// <param name="Detail">What was seen, never a secret.</param>
/// <param name="Action">The suggested action.</param>
public sealed record AuditFinding(string Kind, string Subject, Guid? TenantId, string Detail, string Action)
{
    /// <summary>What makes a finding the same one in the next run (the auditor records only new ones).</summary>
    public string Fingerprint => $"{Kind}|{Subject}|{TenantId}";

    /// <summary>Whether the finding is an orphan or a mismatch (exit code 1) rather than a notice (<see cref="AuditFindingKinds.Notices"/>).</summary>
    public bool IsProblem => !AuditFindingKinds.Notices.Contains(Kind);
}

/// <summary>The kinds of findings, declared once: command output, metrics labels and catalog events use these names.</summary>
public static class AuditFindingKinds
{
    /// <summary>A database carrying the mark of a tenant id the catalog has no row for.</summary>
    public const string DatabaseWithoutRow = "DatabaseWithoutRow";

    /// <summary>A role carrying the mark of a tenant id the catalog has no row for.</summary>
    public const string RoleWithoutRow = "RoleWithoutRow";

    /// <summary>An active or suspended row whose server holds no database with its mark (nor one under its name).</summary>
    public const string RowWithoutDatabase = "RowWithoutDatabase";

    /// <summary>An active or suspended row whose server lacks its application or owner role with its mark.</summary>
    public const string RowWithoutRole = "RowWithoutRole";

    /// <summary>A database or role with a row's mark on another server than the one the row records.</summary>
    public const string OnOtherServer = "OnOtherServer";

    /// <summary>A database or role with a row's mark whose name is not the one the row records.</summary>
    public const string NameMismatch = "NameMismatch";

    /// <summary>The row's database name exists on its server without the row's mark (unmarked, or another tenant's).</summary>
    public const string UnmarkedDatabase = "UnmarkedDatabase";

    /// <summary>A live row whose db_host:db_port is no configured tenant database server.</summary>
    public const string RowOnUnknownServer = "RowOnUnknownServer";

    /// <summary>A live row whose Kubernetes Tenant does not exist (in a namespace the operator serves).</summary>
    public const string RowWithoutTenant = "RowWithoutTenant";

    /// <summary>A Tenant whose status names a row that does not exist or is deleted, or that reports a phase without a row.</summary>
    public const string TenantWithoutRow = "TenantWithoutRow";

    /// <summary>A Tenant's status disagrees with its row (phase, tenant id, database, server address, schema version).</summary>
    public const string StatusMismatch = "StatusMismatch";

    /// <summary>A Secret the operator generated that no live row and no Tenant uses.</summary>
    public const string SecretWithoutTenant = "SecretWithoutTenant";

    /// <summary>An active or suspended row whose generated secret does not exist.</summary>
    public const string RowWithoutSecret = "RowWithoutSecret";

    /// <summary>A tenant server could not be read: its databases and roles, and the rows placed on it, were not compared.</summary>
    public const string ServerUnreachable = "ServerUnreachable";

    /// <summary>Notice: a deleted row's database, role or generated Secret kept by <c>deletionPolicy: Retain</c>.</summary>
    public const string RetainedData = "RetainedData";

    public static IReadOnlyList<string> All { get; } =
    [
        DatabaseWithoutRow, RoleWithoutRow, RowWithoutDatabase, RowWithoutRole, OnOtherServer, NameMismatch, UnmarkedDatabase,
        RowOnUnknownServer, RowWithoutTenant, TenantWithoutRow, StatusMismatch, SecretWithoutTenant, RowWithoutSecret,
        ServerUnreachable, RetainedData,
    ];

    /// <summary>Kinds that report a designed state, not a problem: listed, counted, never a failing exit code.</summary>
    public static IReadOnlySet<string> Notices { get; } = new HashSet<string>(StringComparer.Ordinal) { RetainedData };
}
