using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;

namespace ControlPlane.Operator.Audit;

/// <summary>
/// The estate audit's comparison (pure: observation in, findings out). Databases and roles are tied to rows by the
/// ownership marks the operator writes (ADR-CP-007), never by name alone; a name is only used to say that the name a
/// row records is held by something that does not carry its mark. Rows still provisioning or deleting are in motion and
/// are not reported as missing their objects.
/// </summary>
public static class EstateAudit
{
    public static AuditReport Compare(EstateObservation observation)
    {
        ArgumentNullException.ThrowIfNull(observation);
        var findings = new List<AuditFinding>();
        var rows = observation.Rows.ToDictionary(r => r.Id);
        Servers(observation, rows, findings);
        Rows(observation, findings);
        Tenants(observation, rows, findings);
        Secrets(observation, findings);
        return new AuditReport(
            [.. findings.OrderBy(f => f.Kind, StringComparer.Ordinal).ThenBy(f => f.Subject, StringComparer.Ordinal)],
            observation.Rows.Count(r => r.Status != CatalogTenantStatus.Deleted),
            observation.Rows.Count(r => r.Status == CatalogTenantStatus.Deleted),
            observation.Servers.Count,
            observation.Tenants.Count,
            observation.Secrets.Note);
    }

    /// <summary>
    /// The server a row's database lives on: the one at its address (db_host, db_port), which must also be the one its
    /// <c>db_server</c> names (V15) when it names one.
    /// </summary>
    public static ObservedServer? ServerOf(CatalogTenant row, IEnumerable<ObservedServer> servers)
    {
        ArgumentNullException.ThrowIfNull(row);
        ArgumentNullException.ThrowIfNull(servers);
        // A row naming its server (V15) is that server's only while the addresses agree: a row whose name and address
        // point at different servers is on no server the audit can vouch for. A row of the previous release: its address.
        var atAddress = servers.FirstOrDefault(s => string.Equals(s.Host, row.DbHost, StringComparison.OrdinalIgnoreCase) && s.Port == row.DbPort);
        return row.DbServer is null || atAddress?.Name == row.DbServer ? atAddress : null;
    }

    /// <summary>Each server's marked objects against the rows their marks name.</summary>
    private static void Servers(EstateObservation observation, Dictionary<Guid, CatalogTenant> rows, List<AuditFinding> findings)
    {
        foreach (var server in observation.Servers)
        {
            if (server.Inventory is not { } inventory)
            {
                findings.Add(new(AuditFindingKinds.ServerUnreachable, $"server {server.Name}", null,
                    $"{server.Host}:{server.Port} could not be read ({server.Problem}); its databases and roles and the rows placed on it were not compared.",
                    "Run `controlplane doctor` and fix the server's address, TLS or admin secret; then audit again."));
                continue;
            }

            foreach (var (kind, item) in Marked(inventory))
            {
                var subject = $"{kind} {item.Name} on server {server.Name}";
                if (!rows.TryGetValue(item.Mark!.Value, out var row))
                {
                    findings.Add(new(kind == "database" ? AuditFindingKinds.DatabaseWithoutRow : AuditFindingKinds.RoleWithoutRow, subject, null,
                        $"It carries the mark of tenant {item.Mark}, which has no catalog row (the row was removed by hand, or the {kind} was restored from another estate).",
                        $"Find who owns the data; keep it, or drop the {kind} by hand once it is no longer needed. The operator never touches it."));
                    continue;
                }

                if (ServerOf(row, observation.Servers) is { } home && home.Name != server.Name)
                {
                    findings.Add(new(AuditFindingKinds.OnOtherServer, subject, row.Id,
                        $"It carries the mark of tenant {row.Slug} ({row.Id}), whose row records server {home.Name} ({row.DbHost}:{row.DbPort}).",
                        $"Decide where the tenant lives: correct the row's server (db_host, db_port) if the {kind} was moved here on purpose, else drop this copy by hand once it is no longer needed."));
                    continue;
                }

                var expected = kind == "database" ? [row.DbName] : new[] { row.DbUser, row.DbName + TenantDatabaseTarget.OwnerSuffix };
                if (!expected.Contains(item.Name, StringComparer.Ordinal))
                {
                    findings.Add(new(AuditFindingKinds.NameMismatch, subject, row.Id,
                        $"It carries the mark of tenant {row.Slug} ({row.Id}), whose row records {string.Join(" and ", expected)}.",
                        $"Rename the {kind} back (ALTER {kind.ToUpperInvariant()} … RENAME TO {expected[0]}) or correct the row; the operator converges only the names the row records."));
                    continue;
                }

                if (row.Status == CatalogTenantStatus.Deleted)
                {
                    findings.Add(new(AuditFindingKinds.RetainedData, subject, row.Id,
                        $"Kept for deleted tenant {row.Slug} ({row.Id}) by deletionPolicy Retain.",
                        $"Keep it while the data must be kept; adopt it with a new Tenant's spec.database.adoptFrom: {row.Id}, or drop it by hand when no longer needed."));
                }
            }
        }
    }

    /// <summary>Each active or suspended row against what its server holds with its mark.</summary>
    private static void Rows(EstateObservation observation, List<AuditFinding> findings)
    {
        foreach (var row in observation.Rows.Where(r => r.Status != CatalogTenantStatus.Deleted))
        {
            var server = ServerOf(row, observation.Servers);
            if (server is null)
            {
                findings.Add(new(AuditFindingKinds.RowOnUnknownServer, $"row {row.Slug}", row.Id,
                    $"The row records {row.DbHost}:{row.DbPort}, which is no configured tenant database server; its database was not checked.",
                    "Configure that server again, or correct the row's server if the tenant was moved."));
                continue;
            }

            // In motion (provisioning, deleting), or not comparable (unreadable server: reported once for the server).
            if (row.Status is not (CatalogTenantStatus.Active or CatalogTenantStatus.Suspended) || server.Inventory is not { } inventory)
            {
                continue;
            }

            var elsewhere = observation.Servers.Where(s => s.Name != server.Name && s.Inventory is not null)
                .Any(s => s.Inventory!.Databases.Any(d => d.Administered && d.Mark == row.Id));
            if (!inventory.Databases.Any(d => d.Administered && d.Mark == row.Id) && !elsewhere)
            {
                var squatter = inventory.Databases.FirstOrDefault(d => d.Name == row.DbName);
                findings.Add(squatter is null
                    ? new(AuditFindingKinds.RowWithoutDatabase, $"database {row.DbName} on server {server.Name}", row.Id,
                        $"Tenant {row.Slug} is {row.Status.ToSql()} but its server holds no database with its mark.",
                        "Restore the database from backup, or let the Tenant's next reconcile re-create it (empty); if the tenant is gone, delete its Tenant.")
                    : new(AuditFindingKinds.UnmarkedDatabase, $"database {row.DbName} on server {server.Name}", row.Id,
                        squatter.Mark is { } other
                            ? $"Tenant {row.Slug}'s database name is held by a database marked for tenant {other}."
                            : $"Tenant {row.Slug}'s database name is held by a database without its mark (made by hand, or not by this operator).",
                        "Find out whose data it is; the operator will not use or change it (its Tenant reports DatabaseConflict). Rename or drop it by hand, or adopt retained data explicitly."));
            }

            foreach (var role in new[] { row.DbUser, row.DbName + TenantDatabaseTarget.OwnerSuffix }.Distinct(StringComparer.Ordinal))
            {
                if (!inventory.Roles.Any(r => r.Administered && r.Mark == row.Id && r.Name == role) && !elsewhere)
                {
                    findings.Add(new(AuditFindingKinds.RowWithoutRole, $"role {role} on server {server.Name}", row.Id,
                        $"Tenant {row.Slug} is {row.Status.ToSql()} but its server holds no role {role} with its mark.",
                        "Let the Tenant's next reconcile re-create the role (the drift resync does), or find out who dropped or re-commented it."));
                }
            }
        }
    }

    /// <summary>Rows against Tenants and Tenants against rows; a Tenant's status is a cache of its row and is compared with it.</summary>
    private static void Tenants(EstateObservation observation, Dictionary<Guid, CatalogTenant> rows, List<AuditFinding> findings)
    {
        var byObject = observation.Tenants.ToDictionary(t => (t.Namespace, t.Name));
        var byStatusId = observation.Tenants.Where(t => t.StatusTenantId is not null).ToLookup(t => t.StatusTenantId!, StringComparer.OrdinalIgnoreCase);
        foreach (var row in observation.Rows.Where(r => r.Status != CatalogTenantStatus.Deleted))
        {
            // Rows of the previous release record no owner: their Tenant is the one whose status names them.
            if (row.Owner is { } owner ? !observation.Serves(owner.Namespace) || byObject.ContainsKey((owner.Namespace, owner.Name)) : byStatusId.Contains(row.Id.ToString()))
            {
                continue;
            }

            var who = row.Owner is { } o ? $"Tenant {o.Namespace}/{o.Name}" : "no Tenant (none names it in status.tenantId)";
            findings.Add(new(AuditFindingKinds.RowWithoutTenant, $"row {row.Slug}", row.Id,
                $"The row is {row.Status.ToSql()}, and its owner {who} does not exist.",
                "Re-apply the Tenant from Git (it takes the row back); if the tenant is really gone, re-create and delete it with the wanted deletionPolicy so that its database, roles and secret are handled."));
        }

        foreach (var tenant in observation.Tenants.Where(t => !t.Deleting))
        {
            var owned = observation.Rows.FirstOrDefault(r => r.Status != CatalogTenantStatus.Deleted && r.Owner is { } o && o.Namespace == tenant.Namespace && o.Name == tenant.Name);
            var named = Guid.TryParse(tenant.StatusTenantId, out var id) && rows.TryGetValue(id, out var r) ? r : null;
            if (tenant.StatusTenantId is not null && (named is null || named.Status == CatalogTenantStatus.Deleted) && owned is null)
            {
                findings.Add(new(AuditFindingKinds.TenantWithoutRow, tenant.Subject, named?.Id,
                    named is null ? $"status.tenantId {tenant.StatusTenantId} names no catalog row." : $"status.tenantId names the deleted row of {named.Slug}.",
                    "Find out how the row was lost (a catalog restore?); restore it if the database exists, or delete the Tenant and apply it again to provision anew."));
                continue;
            }

            var row = owned ?? named;
            if (row is null)
            {
                // Never registered (new, or refused before any side effect): pending, not an orphan, unless status claims otherwise.
                if (tenant.Phase is TenantPhases.Active or TenantPhases.Suspended && tenant.StatusCurrent)
                {
                    findings.Add(new(AuditFindingKinds.TenantWithoutRow, tenant.Subject, null,
                        $"status.phase is {tenant.Phase} but no catalog row exists for it.",
                        "Find out how the row was lost; restore it, or delete the Tenant and apply it again."));
                }

                continue;
            }

            if (tenant.StatusCurrent && Differences(tenant, row) is { Count: > 0 } differences)
            {
                findings.Add(new(AuditFindingKinds.StatusMismatch, tenant.Subject, row.Id,
                    $"Status disagrees with row {row.Slug} ({row.Id}): {string.Join("; ", differences)}.",
                    "Status is a cache of the catalog: the next reconcile rewrites it. If it persists, look at the Tenant's Ready condition and the operator's logs."));
            }
        }
    }

    /// <summary>The fields of a converged Tenant's status that disagree with its row (empty when none).</summary>
    public static IReadOnlyList<string> Differences(ObservedTenant tenant, CatalogTenant row)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(row);
        var differences = new List<string>();
        var phase = PhaseOf(row.Status);
        if (tenant.Phase != phase)
        {
            differences.Add($"phase {tenant.Phase ?? "unset"}, row {row.Status.ToSql()}");
        }

        if (!string.Equals(tenant.StatusTenantId, row.Id.ToString(), StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"tenantId {tenant.StatusTenantId ?? "unset"}, row {row.Id}");
        }

        if (!string.Equals(tenant.Slug, row.Slug, StringComparison.OrdinalIgnoreCase))
        {
            differences.Add($"slug {tenant.Slug}, row {row.Slug}");
        }

        // Where the database is (and its schema) is reported once provisioned; an earlier status has none to compare.
        if (row.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended)
        {
            if (tenant.StatusDatabase != row.DbName)
            {
                differences.Add($"database {tenant.StatusDatabase ?? "unset"}, row {row.DbName}");
            }

            if (!string.Equals(tenant.StatusHost, row.DbHost, StringComparison.OrdinalIgnoreCase) || tenant.StatusPort != row.DbPort)
            {
                differences.Add($"server address {tenant.StatusHost}:{tenant.StatusPort}, row {row.DbHost}:{row.DbPort}");
            }

            if (tenant.StatusSchemaVersion != row.SchemaVersion)
            {
                differences.Add($"schema version {tenant.StatusSchemaVersion ?? "unset"}, row {row.SchemaVersion ?? "unset"}");
            }
        }

        return differences;
    }

    private static string? PhaseOf(CatalogTenantStatus status) => status switch
    {
        CatalogTenantStatus.Provisioning => TenantPhases.Provisioning,
        CatalogTenantStatus.Active => TenantPhases.Active,
        CatalogTenantStatus.Suspended => TenantPhases.Suspended,
        CatalogTenantStatus.Deleting => TenantPhases.Deleting,
        _ => null,
    };

    /// <summary>Generated secrets against the rows and Tenants that use them.</summary>
    private static void Secrets(EstateObservation observation, List<AuditFinding> findings)
    {
        var secrets = observation.Secrets;
        var existing = secrets.Existing.Select(Key).ToHashSet(StringComparer.Ordinal);
        var missing = secrets.Missing.Select(Key).ToHashSet(StringComparer.Ordinal);
        foreach (var row in observation.Rows.Where(r => r.Status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended && secrets.IsGenerated(r.DbSecretRef)))
        {
            var key = Key(row.DbSecretRef);
            if (missing.Contains(key) || (secrets.Listed && row.DbSecretRef.Backend == SecretBackendKind.Kubernetes && !existing.Contains(key)))
            {
                findings.Add(new(AuditFindingKinds.RowWithoutSecret, $"secret {row.DbSecretRef}", row.Id,
                    $"Tenant {row.Slug} is {row.Status.ToSql()} but its generated secret does not exist: its applications cannot resolve a password.",
                    "Rotate the tenant's credentials (annotation controlplane.econt.io/rotate-credentials) to generate and set a new password, or restore the secret from backup."));
            }
        }

        if (!secrets.Listed)
        {
            return;
        }

        var used = observation.Rows.Where(r => r.Status != CatalogTenantStatus.Deleted).Select(r => Key(r.DbSecretRef))
            .Concat(observation.Tenants.Where(t => t.GeneratedSecret).Select(t => Key(secrets.GeneratedFor(t.Slug))))
            .ToHashSet(StringComparer.Ordinal);
        foreach (var secret in secrets.Existing.Where(s => !used.Contains(Key(s))))
        {
            var deleted = observation.Rows.LastOrDefault(r => r.Status == CatalogTenantStatus.Deleted && Key(r.DbSecretRef) == Key(secret));
            findings.Add(deleted is not null
                ? new(AuditFindingKinds.RetainedData, $"secret {secret}", deleted.Id,
                    $"Kept for deleted tenant {deleted.Slug} ({deleted.Id}) by deletionPolicy Retain, with its data.",
                    "Keep it while the retained database may be adopted; delete it with the data.")
                : new(AuditFindingKinds.SecretWithoutTenant, $"secret {secret}", null,
                    "The operator generated it, and no live catalog row and no Tenant uses it.",
                    "Make sure no application still reads it, then delete it by hand (kubectl delete secret)."));
        }
    }

    private static string Key(SecretReference reference) => $"{reference.Backend}:{reference.Location}";

    private static IEnumerable<(string Kind, InventoryObject Item)> Marked(ServerInventory inventory) =>
        inventory.Databases.Where(d => d.Mark is not null && d.Administered).Select(d => ("database", d))
            .Concat(inventory.Roles.Where(r => r.Mark is not null && r.Administered).Select(r => ("role", r)));
}

/// <summary>The findings of one audit and the size of what was compared.</summary>
public sealed record AuditReport(
    IReadOnlyList<AuditFinding> Findings, int LiveRows, int DeletedRows, int Servers, int Tenants, string? NotChecked)
{
    public bool Clean => !Findings.Any(f => f.IsProblem);

    /// <summary>Findings per kind, every kind present (0 when none), for metrics.</summary>
    public IReadOnlyDictionary<string, int> CountsByKind() =>
        AuditFindingKinds.All.ToDictionary(k => k, k => Findings.Count(f => f.Kind == k), StringComparer.Ordinal);
}
