using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Audit;
using ControlPlane.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.TenantDatabases;
using Microsoft.Extensions.Options;

namespace ControlPlane.Operator.Tests.Audit;

/// <summary>
/// The audit's comparison on its own (observation in, findings out): a healthy fleet of 50 yields nothing, and each orphan
/// or mismatch made in it yields exactly its own finding.
/// </summary>
public sealed class EstateAuditTests
{
    private static readonly SecretReferencePlanner Planner = new(Options.Create(new SecretStoreOptions
    {
        DefaultBackend = SecretBackendKind.Kubernetes,
        Kubernetes = { Namespace = "econt-tenants" },
    }));

    [Theory]
    [InlineData(null, 5432, "a")]
    [InlineData("a", 5432, "a")]
    [InlineData("b", 5432, null)]
    [InlineData("a", 5433, null)]
    [InlineData(null, 5439, null)]
    public void A_row_is_on_the_server_at_its_address_which_must_be_the_one_it_names(string? named, int port, string? expected)
    {
        var row = new CatalogTenant(Guid.NewGuid(), "acme", "Acme", "tenant_acme", "db.internal", port, "tenant_acme", Planner.ForTenantDatabase("acme"),
            "2", null, CatalogTenantStatus.Active, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, null, null, null, null, false, null, named);
        ObservedServer[] servers = [new("a", "DB.internal", 5432, null), new("b", "db.internal", 5433, null)];

        Assert.Equal(expected, EstateAudit.ServerOf(row, servers)?.Name);
    }

    [Fact]
    public void A_healthy_fleet_of_50_tenants_on_two_servers_yields_no_finding()
    {
        var fleet = Fleet.Healthy(50);

        var report = EstateAudit.Compare(fleet.Observe());

        Assert.Empty(report.Findings);
        Assert.True(report.Clean);
        Assert.Equal((50, 0, 2, 50), (report.LiveRows, report.DeletedRows, report.Servers, report.Tenants));
    }

    [Fact]
    public void Marked_objects_whose_tenant_has_no_row_are_orphans_and_unmarked_or_foreign_ones_are_ignored()
    {
        var fleet = Fleet.Healthy(50);
        var stranger = Guid.NewGuid();
        fleet.Servers["a"].Databases.Add(new("lost", stranger, true));
        fleet.Servers["a"].Roles.Add(new("lost", stranger, true));
        fleet.Servers["a"].Roles.Add(new("lost_owner", stranger, true));

        // Not this estate's: an unmarked database no row names, and a marked one another control plane's admin holds.
        fleet.Servers["a"].Databases.Add(new("someone_elses", null, true));
        fleet.Servers["b"].Databases.Add(new("other_plane", Guid.NewGuid(), false));

        AssertFindings(fleet,
            (AuditFindingKinds.DatabaseWithoutRow, "database lost on server a", null),
            (AuditFindingKinds.RoleWithoutRow, "role lost on server a", null),
            (AuditFindingKinds.RoleWithoutRow, "role lost_owner on server a", null));
    }

    [Fact]
    public void An_active_row_whose_database_or_role_lost_its_mark_or_vanished_is_reported_with_its_row()
    {
        var fleet = Fleet.Healthy(50);
        var (gone, unmarked, roleless) = (fleet.Rows[3], fleet.Rows[4], fleet.Rows[6]);
        fleet.Servers["a"].Databases.RemoveAll(d => d.Name == gone.DbName);
        fleet.Servers["a"].Databases.RemoveAll(d => d.Name == unmarked.DbName);
        fleet.Servers["a"].Databases.Add(new(unmarked.DbName, null, true));
        fleet.Servers["a"].Roles.RemoveAll(r => r.Name == roleless.DbUser);

        AssertFindings(fleet,
            (AuditFindingKinds.RowWithoutDatabase, $"database {gone.DbName} on server a", gone.Id),
            (AuditFindingKinds.UnmarkedDatabase, $"database {unmarked.DbName} on server a", unmarked.Id),
            (AuditFindingKinds.RowWithoutRole, $"role {roleless.DbUser} on server a", roleless.Id));
    }

    [Fact]
    public void A_database_on_another_server_than_its_row_says_and_a_renamed_one_are_mismatches()
    {
        var fleet = Fleet.Healthy(50);
        var (moved, renamed) = (fleet.Rows[0], fleet.Rows[1]);
        fleet.Servers["b"].Databases.Add(new(moved.DbName, moved.Id, true));
        fleet.Servers["a"].Databases.RemoveAll(d => d.Name == renamed.DbName);
        fleet.Servers["a"].Databases.Add(new("renamed_by_hand", renamed.Id, true));

        AssertFindings(fleet,
            (AuditFindingKinds.OnOtherServer, $"database {moved.DbName} on server b", moved.Id),
            (AuditFindingKinds.NameMismatch, "database renamed_by_hand on server a", renamed.Id));
    }

    [Fact]
    public void A_row_on_no_configured_server_and_an_unreadable_server_are_reported_and_nothing_on_that_server_is_guessed()
    {
        var fleet = Fleet.Healthy(50);
        var stray = fleet.Rows[0];
        fleet.Rows[0] = stray with { DbPort = 1 };
        fleet.Tenants[0] = fleet.Tenants[0] with { StatusPort = 1 };
        fleet.Unreachable.Add("b");

        AssertFindings(fleet,
            (AuditFindingKinds.RowOnUnknownServer, $"row {stray.Slug}", stray.Id),
            (AuditFindingKinds.ServerUnreachable, "server b", null));
    }

    [Fact]
    public void Rows_and_Tenants_are_compared_both_ways_and_a_converged_status_must_match_its_row()
    {
        var fleet = Fleet.Healthy(50);
        var (orphanRow, lostRow, drifted, pending) = (fleet.Rows[0], fleet.Rows[1], fleet.Rows[2], fleet.Tenants[3]);
        fleet.Tenants.RemoveAll(t => t.Name == orphanRow.Slug);
        fleet.Rows.Remove(lostRow);
        fleet.Servers["a"].Databases.RemoveAll(d => d.Mark == lostRow.Id);
        fleet.Servers["a"].Roles.RemoveAll(d => d.Mark == lostRow.Id);
        var index = fleet.Tenants.FindIndex(t => t.Name == drifted.Slug);
        fleet.Tenants[index] = fleet.Tenants[index] with { Phase = TenantPhases.Suspended };

        // In motion, never reported: a status older than its spec, and a Tenant not registered yet.
        index = fleet.Tenants.FindIndex(t => t.Name == pending.Name);
        fleet.Tenants[index] = fleet.Tenants[index] with { StatusCurrent = false, Phase = TenantPhases.Suspended };
        fleet.Tenants.Add(new ObservedTenant("tenants", "brand-new", "brand-new", true, false, false, null, null, null, null, null, null));

        AssertFindings(fleet,
            (AuditFindingKinds.RowWithoutTenant, $"row {orphanRow.Slug}", orphanRow.Id),
            (AuditFindingKinds.TenantWithoutRow, $"Tenant tenants/{lostRow.Slug}", null),
            (AuditFindingKinds.StatusMismatch, $"Tenant tenants/{drifted.Slug}", drifted.Id));
    }

    [Fact]
    public void Rows_owned_in_a_namespace_the_operator_does_not_serve_are_not_compared_with_Kubernetes()
    {
        var fleet = Fleet.Healthy(50);
        fleet.Tenants.RemoveAll(t => t.Name == fleet.Rows[0].Slug);
        fleet.Serves = ns => ns != "tenants";

        var report = EstateAudit.Compare(fleet.Observe());

        Assert.DoesNotContain(report.Findings, f => f.Kind == AuditFindingKinds.RowWithoutTenant);
    }

    [Fact]
    public void A_generated_secret_nobody_uses_and_a_row_without_its_secret_are_found_when_the_backend_lists()
    {
        var fleet = Fleet.Healthy(50);
        var bare = fleet.Rows[5];
        fleet.Secrets.Remove(bare.DbSecretRef);
        fleet.Secrets.Add(Planner.ForTenantDatabase("ghost"));

        AssertFindings(fleet,
            (AuditFindingKinds.RowWithoutSecret, $"secret {bare.DbSecretRef}", bare.Id),
            (AuditFindingKinds.SecretWithoutTenant, $"secret {Planner.ForTenantDatabase("ghost")}", null));
    }

    [Fact]
    public void Without_a_listing_only_the_rows_own_secrets_are_checked_and_the_report_says_what_was_not()
    {
        var fleet = Fleet.Healthy(50);
        var bare = fleet.Rows[5];
        fleet.Secrets.Clear();
        fleet.Secrets.Add(Planner.ForTenantDatabase("ghost"));
        fleet.Listed = false;
        fleet.Missing.Add(bare.DbSecretRef);

        var report = EstateAudit.Compare(fleet.Observe());

        var finding = Assert.Single(report.Findings);
        Assert.Equal((AuditFindingKinds.RowWithoutSecret, bare.Id), (finding.Kind, finding.TenantId));
        Assert.NotNull(report.NotChecked);
    }

    [Fact]
    public void What_a_deleted_tenant_retained_is_a_notice_that_keeps_the_estate_clean()
    {
        var fleet = Fleet.Healthy(50);
        var deleted = fleet.Rows[7];
        fleet.Rows[7] = deleted with { Status = CatalogTenantStatus.Deleted, DeletedAt = DateTimeOffset.UnixEpoch };
        fleet.Tenants.RemoveAll(t => t.Name == deleted.Slug);

        var report = EstateAudit.Compare(fleet.Observe());

        Assert.Equal(4, report.Findings.Count);
        Assert.All(report.Findings, f => Assert.Equal((AuditFindingKinds.RetainedData, deleted.Id, false), (f.Kind, f.TenantId, f.IsProblem)));
        Assert.True(report.Clean);
    }

    [Fact]
    public void Rows_in_motion_are_not_reported_as_missing_their_objects()
    {
        var fleet = Fleet.Healthy(50);
        var (provisioning, deleting) = (fleet.Rows[8], fleet.Rows[9]);
        fleet.Rows[8] = provisioning with { Status = CatalogTenantStatus.Provisioning };
        fleet.Rows[9] = deleting with { Status = CatalogTenantStatus.Deleting };
        foreach (var row in new[] { provisioning, deleting })
        {
            fleet.Servers["a"].Databases.RemoveAll(d => d.Mark == row.Id);
            fleet.Servers["a"].Roles.RemoveAll(d => d.Mark == row.Id);
            fleet.Secrets.Remove(row.DbSecretRef);
            var index = fleet.Tenants.FindIndex(t => t.Name == row.Slug);
            fleet.Tenants[index] = fleet.Tenants[index] with
            {
                Phase = row == provisioning ? TenantPhases.Provisioning : TenantPhases.Deleting,
                Deleting = row == deleting,
            };
        }

        Assert.Empty(EstateAudit.Compare(fleet.Observe()).Findings);
    }

    [Fact]
    public void Every_finding_kind_has_a_metric_series_even_when_none_was_found()
    {
        var counts = EstateAudit.Compare(Fleet.Healthy(3).Observe()).CountsByKind();

        Assert.Equal(AuditFindingKinds.All.Order(), counts.Keys.Order());
        Assert.All(counts.Values, v => Assert.Equal(0, v));
    }

    private static void AssertFindings(Fleet fleet, params (string Kind, string Subject, Guid? Tenant)[] expected)
    {
        var report = EstateAudit.Compare(fleet.Observe());
        Assert.Equal(
            expected.OrderBy(e => e.Kind, StringComparer.Ordinal).ThenBy(e => e.Subject, StringComparer.Ordinal),
            report.Findings.Select(f => (f.Kind, f.Subject, f.TenantId)));
        Assert.All(report.Findings, f => Assert.False(string.IsNullOrWhiteSpace(f.Action)));
        Assert.False(report.Clean);
    }

    /// <summary>A fleet as the observer would see it: rows, Tenants with converged status, marked objects and secrets.</summary>
    private sealed class Fleet
    {
        public List<CatalogTenant> Rows { get; } = [];

        public List<ObservedTenant> Tenants { get; } = [];

        public Dictionary<string, (List<InventoryObject> Databases, List<InventoryObject> Roles)> Servers { get; } = new()
        {
            ["a"] = ([], []),
            ["b"] = ([], []),
        };

        public HashSet<string> Unreachable { get; } = [];

        public List<SecretReference> Secrets { get; } = [];

        public List<SecretReference> Missing { get; } = [];

        public bool Listed { get; set; } = true;

        public Func<string, bool> Serves { get; set; } = _ => true;

        private static readonly Dictionary<string, int> Ports = new() { ["a"] = 5432, ["b"] = 5433 };

        public static Fleet Healthy(int count)
        {
            var fleet = new Fleet();
            for (var i = 0; i < count; i++)
            {
                var server = i % 3 == 2 ? "b" : "a";
                var slug = $"tenant-{i:D2}";
                var database = slug.Replace('-', '_');
                var row = new CatalogTenant(Guid.NewGuid(), slug, slug, database, "db.internal", Ports[server], database, Planner.ForTenantDatabase(slug),
                    "2", null, i % 5 == 0 ? CatalogTenantStatus.Suspended : CatalogTenantStatus.Active, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch,
                    null, null, null, null, false, new TenantOwner("tenants", slug));
                fleet.Rows.Add(row);
                fleet.Tenants.Add(new ObservedTenant("tenants", slug, slug, true, false, true, row.Id.ToString(),
                    row.Status == CatalogTenantStatus.Suspended ? TenantPhases.Suspended : TenantPhases.Active, database, "db.internal", Ports[server], "2"));
                fleet.Servers[server].Databases.Add(new(database, row.Id, true));
                fleet.Servers[server].Roles.Add(new(database, row.Id, true));
                fleet.Servers[server].Roles.Add(new(database + "_owner", row.Id, true));
                fleet.Secrets.Add(row.DbSecretRef);
            }

            // The server's own databases, which carry no mark.
            fleet.Servers["a"].Databases.Add(new("monitoring", null, true));
            return fleet;
        }

        public EstateObservation Observe() => new(
            [.. Rows],
            [.. Servers.Select(s => new ObservedServer(s.Key, "db.internal", Ports[s.Key],
                Unreachable.Contains(s.Key) ? null : new ServerInventory([.. s.Value.Databases], [.. s.Value.Roles]),
                Unreachable.Contains(s.Key) ? "connection refused" : null))],
            [.. Tenants],
            Serves,
            new ObservedSecrets(Listed, [.. Secrets], [.. Missing], Planner.IsGenerated, Planner.ForTenantDatabase, Listed ? null : "not listed"));
    }
}
