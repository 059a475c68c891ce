using System.Net;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Resolver;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// Not parallel with other tests: OpenTelemetry's listener sees every live meter named ControlPlane.Operator in the
/// process, so operators of concurrent tests would add to the series asserted here.
/// </summary>
[Collection(nameof(EndpointTests))]
[CollectionDefinition(nameof(EndpointTests), DisableParallelization = true)]
public sealed class EndpointTests(PostgresFixture postgres)
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task Readyz_is_unavailable_until_the_initial_list_is_processed_while_healthz_is_fine_from_the_start()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        cluster.Server.FailNext("list", "/apis/controlplane.econt.io/v1alpha1/tenants", 500, count: 3);
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var app = await StartHostAsync(cluster, catalog);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var early = await http.GetAsync("/readyz", _ct);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, early.StatusCode);
        Assert.Equal("initial list of tenants not yet processed", await early.Content.ReadAsStringAsync(_ct));
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz", _ct)).StatusCode);

        await OperatorTestCluster.WaitUntilAsync(
            async () => (await http.GetAsync("/readyz", _ct)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(15), "readyz turned OK", _ct);
        Assert.True(cluster.Server.CountRequests("list", "/apis/controlplane.econt.io/v1alpha1/tenants") >= 4);
    }

    [Fact]
    public async Task Readyz_is_unavailable_when_the_catalog_database_is_unreachable()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var catalog = NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Timeout=2;Username=nobody;Database=none");
        await using var app = await StartHostAsync(cluster, catalog);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        await OperatorTestCluster.WaitUntilAsync(
            async () => await (await http.GetAsync("/readyz", _ct)).Content.ReadAsStringAsync(_ct) == "catalog database unreachable",
            TimeSpan.FromSeconds(15), "readyz reported the catalog", _ct);
    }

    [Fact]
    public async Task Metrics_expose_reconciles_durations_queue_retries_watch_restarts_relists_leadership_and_tenants_by_phase()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        cluster.Server.FailNext("update", "/apis/controlplane.econt.io/v1alpha1/namespaces/tenants/tenants/acme/status", 500);
        await using var app = await StartHostAsync(cluster, catalog);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        await cluster.CreateTenantAsync("acme", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("acme", _ct)), TimeSpan.FromSeconds(60), "acme converged", _ct);
        cluster.Server.DropWatches();
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(cluster.Server.CountRequests("watch", "/apis/controlplane.econt.io/v1alpha1/tenants") >= 2),
            TimeSpan.FromSeconds(10), "the watch was re-opened", _ct);

        var text = await http.GetStringAsync("/metrics", _ct);

        foreach (var series in new[]
                 {
                     "controlplane_reconciles_total{", "result=\"requeue\"", "result=\"transient_error\"",
                     "controlplane_reconcile_duration_seconds_bucket{", "controlplane_workqueue_depth",
                     "controlplane_workqueue_retries_total", "controlplane_watch_restarts_total{", "controlplane_watch_relists_total",
                     "controlplane_leader", "controlplane_tenants{",
                 })
        {
            Assert.Contains(series, text, StringComparison.Ordinal);
        }

        Assert.Matches("(?m)^controlplane_leader(\\{[^}]*\\})? 1( |$)", text);
        Assert.Matches("(?m)^controlplane_tenants\\{[^}]*phase=\"Active\"[^}]*\\} 1( |$)", text);
        Assert.Matches("(?m)^controlplane_tenants_schema_version\\{[^}]*version=\"2\"[^}]*\\} 1( |$)", text);
        Assert.Matches("(?m)^controlplane_tenants_schema_misaligned(\\{[^}]*\\})? 0( |$)", text);
        Assert.Matches("(?m)^controlplane_schemarollouts\\{[^}]*phase=\"Rolling\"[^}]*\\} 0( |$)", text);

        // Per-server operation slots (issue 17): the limit, and what runs or waits at scrape time (a resync may be running).
        Assert.Matches("(?m)^controlplane_server_operations_limit\\{[^}]*server=\"default\"[^}]*\\} 4( |$)", text);
        Assert.Matches("(?m)^controlplane_server_operations_in_flight\\{[^}]*server=\"default\"[^}]*\\} [01]( |$)", text);
        Assert.Matches("(?m)^controlplane_server_operations_waiting\\{[^}]*server=\"default\"[^}]*\\} 0( |$)", text);
    }

    [Fact]
    public async Task Each_catalog_health_check_made_to_fire_appears_in_metrics_and_every_alert_rule_reads_an_exported_series()
    {
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using (var craft = catalog.CreateCommand(CraftedAnomalies))
        {
            await craft.ExecuteNonQueryAsync(_ct);
        }

        await using var app = await StartHostAsync(cluster, catalog, options => options.CatalogHealthPeriod = TimeSpan.FromSeconds(1));
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var expected = new Dictionary<string, string[]>
        {
            ["duplicate_slugs"] = ["TWIN", "twin"],
            ["duplicate_db_names"] = ["copy-a", "copy-b"],
            ["tenants_without_events"] = ["silent"],
            ["stuck_provisioning"] = ["stuck"],
            ["schema_version_drift"] = ["drifted"],
            ["soft_delete_incoherent"] = ["half-deleted"],
        };

        // A converged tenant gives the rules' reconcile series a sample; the catalog health must count it as healthy.
        await cluster.CreateTenantAsync("acme", cancellationToken: _ct);
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("acme", _ct)), TimeSpan.FromSeconds(60), "acme converged", _ct);
        var text = "";
        await OperatorTestCluster.WaitUntilAsync(
            async () => (text = await http.GetStringAsync("/metrics", _ct)).Contains("controlplane_catalog_health_evaluated_timestamp_seconds", StringComparison.Ordinal),
            TimeSpan.FromSeconds(60), "the leader's first catalog health evaluation in /metrics", _ct);

        foreach (var (check, slugs) in expected)
        {
            Assert.Matches($"(?m)^controlplane_catalog_health_offenders\\{{[^}}]*check=\"{check}\"[^}}]*\\}} {slugs.Length}( |$)", text);
            foreach (var slug in slugs)
            {
                Assert.Matches($"(?m)^controlplane_catalog_health_offending_tenant\\{{[^}}]*check=\"{check}\"[^}}]*slug=\"{slug}\"[^}}]*\\}} 1( |$)", text);
            }
        }

        Assert.Matches("(?m)^controlplane_periodic_job_runs_total\\{[^}]*job=\"catalog-health\"[^}]*result=\"succeeded\"[^}]*\\} [1-9]", text);
        var exported = System.Text.RegularExpressions.Regex.Matches(text, "(?m)^(controlplane_[a-z_]+)").Select(m => m.Groups[1].Value).ToHashSet();
        Assert.All(AlertRuleSeries(), series => Assert.Contains(series, exported));
    }

    /// <summary>One offender per §9 check (two for the duplicates), in a catalog whose guards the test removed first.</summary>
    private const string CraftedAnomalies = """
        DROP INDEX control_plane.tenants_slug_live_key;
        DROP INDEX control_plane.tenants_db_name_live_key;
        ALTER TABLE control_plane.tenants DROP CONSTRAINT tenants_soft_delete_coherent;
        INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, status, created_at, schema_version, deleted_at)
        VALUES ('twin', 'Twin', 'tenant_twin_a', 'db', 'app', 'mock:a', 'active', now(), NULL, NULL),
               ('TWIN', 'Twin', 'tenant_twin_b', 'db', 'app', 'mock:b', 'active', now(), NULL, NULL),
               ('copy-a', 'Copy A', 'tenant_copy', 'db', 'app', 'mock:c', 'active', now(), NULL, NULL),
               ('copy-b', 'Copy B', 'TENANT_COPY', 'db', 'app', 'mock:d', 'active', now(), NULL, NULL),
               ('stuck', 'Stuck', 'tenant_stuck', 'db', 'app', 'mock:e', 'provisioning', now() - interval '2 hours', NULL, NULL),
               ('drifted', 'Drifted', 'tenant_drifted', 'db', 'app', 'mock:f', 'active', now(), '9', NULL),
               ('half-deleted', 'Half', 'tenant_half', 'db', 'app', 'mock:g', 'active', now(), NULL, now()),
               ('silent', 'Silent', 'tenant_silent', 'db', 'app', 'mock:h', 'active', now(), NULL, NULL);
        INSERT INTO control_plane.tenant_events (tenant_id, event_type, actor)
        SELECT id, 'status_changed', 'test' FROM control_plane.tenants WHERE slug <> 'silent';
        """;

    /// <summary>Every series name the shipped alerting rules read (a rule on a series nobody exports never fires).</summary>
    private static IEnumerable<string> AlertRuleSeries()
    {
        var rules = File.ReadAllText(Repository.Path("config", "prometheus", "prometheus_rule.yaml"));
        var expressions = System.Text.RegularExpressions.Regex.Matches(rules, "controlplane_[a-z_]+").Select(m => m.Value).Distinct().ToList();
        Assert.True(expressions.Count >= 6, "the rules file names the operator's series");
        return expressions;
    }

    private static async Task<WebApplication> StartHostAsync(OperatorTestCluster cluster, NpgsqlDataSource catalog, Action<OperatorOptions>? configure = null)
    {
        var options = cluster.DefaultOptions();
        configure?.Invoke(options);
        var app = OperatorHost.Build(0, "test catalog", catalog, cluster.CreateOperatorClient(), cluster.CreateOperatorClient(), options, "127.0.0.1",
            new ResolverListenerOptions(0, null, null, TimeSpan.Zero));
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }
}
