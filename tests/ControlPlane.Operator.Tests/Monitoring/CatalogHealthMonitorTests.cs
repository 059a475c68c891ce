using System.Diagnostics.Metrics;
using ControlPlane.Operator.Monitoring;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Runtime;
using ControlPlane.Store.Health;
using ControlPlane.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Monitoring;

/// <summary>
/// The leader's periodic jobs and the catalog health monitor on a fake clock, against a real migrated catalog: an
/// anomaly crafted between two evaluations is in the very next one, a failing run does not stop the job, and a
/// replica that is not leading exports nothing.
/// </summary>
public sealed class CatalogHealthMonitorTests(PostgresFixture postgres) : IDisposable
{
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(60);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 2, 3, 0, 0, TimeSpan.Zero));
    private readonly MeterListener _jobRuns = new();

    [Fact]
    public async Task An_anomaly_crafted_between_two_evaluations_is_in_the_next_one()
    {
        await using var catalog = NpgsqlDataSource.Create(await CatalogTemplate.CreateDatabaseAsync(postgres, _ct));
        var monitor = new CatalogHealthMonitor(catalog, CatalogHealth.DefaultStuckAfter, _time, NullLogger<CatalogHealthMonitor>.Instance);
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var job = Job(monitor.EvaluateAsync);
        var run = job.RunAsync(leading.Token);

        await OperatorTestCluster.WaitUntilAsync(() => Task.FromResult(monitor.Latest is not null), TimeSpan.FromSeconds(30), "the first evaluation, at the start of the term", _ct);
        Assert.True(monitor.Latest!.Report.Healthy);
        await using (var craft = catalog.CreateCommand("""
            INSERT INTO control_plane.tenants (slug, display_name, db_name, db_host, db_user, db_secret_ref, created_at)
            VALUES ('stuck', 'Stuck', 'tenant_stuck', 'db', 'app', 'mock:stuck', now() - interval '2 hours')
            """))
        {
            await craft.ExecuteNonQueryAsync(_ct);
        }

        _time.Advance(Period);
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(monitor.Latest!.EvaluatedAt == _time.GetUtcNow()), TimeSpan.FromSeconds(30), "the evaluation one period later", _ct);

        var failing = monitor.Latest!.Report.Checks.Where(c => !c.Passed).ToDictionary(c => c.Name, c => c.Offenders.Select(o => o.Slug).ToList());
        Assert.Equal(["stuck"], failing["stuck_provisioning"]);
        Assert.Equal(["stuck"], failing["tenants_without_events"]);
        Assert.Equal(2, failing.Count);
        await leading.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30), _ct);
    }

    [Fact]
    public async Task A_failing_run_is_counted_and_the_next_comes_on_schedule_and_the_job_ends_with_the_term()
    {
        var runs = 0;
        var job = Job(_ => ++runs == 2 ? throw new NpgsqlException("catalog down") : Task.CompletedTask);
        var outcomes = RecordJobRuns();
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(_ct);

        var run = job.RunAsync(leading.Token);
        for (var tick = 1; tick <= 3; tick++)
        {
            await OperatorTestCluster.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref runs) == tick), TimeSpan.FromSeconds(30), $"run {tick}", _ct);
            _time.Advance(Period);
        }

        await OperatorTestCluster.WaitUntilAsync(() => Task.FromResult(Volatile.Read(ref runs) == 4), TimeSpan.FromSeconds(30), "run 4", _ct);
        await leading.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30), _ct);
        _time.Advance(Period * 3);

        Assert.Equal(4, runs);
        lock (outcomes)
        {
            Assert.Equal(["succeeded", "failed", "succeeded", "succeeded"], outcomes);
        }
    }

    [Fact]
    public void A_replica_that_does_not_lead_exports_no_health_series()
    {
        var report = new HealthReport(CatalogHealth.DefaultStuckAfter, [new HealthCheckResult("stuck_provisioning", "d", [new HealthOffender(Guid.NewGuid(), "stuck", "x")])]);
        var leading = false;
        _ = new CatalogHealthMetrics(_services.GetRequiredService<IMeterFactory>(), () => leading ? new CatalogHealthSnapshot(report, _time.GetUtcNow()) : null);

        var follower = Collect();
        leading = true;
        var leader = Collect();

        Assert.Empty(follower);
        Assert.Contains(("controlplane.catalog_health.offenders", 1.0, "check=stuck_provisioning"), leader);
        Assert.Contains(("controlplane.catalog_health.offending_tenant", 1.0, "check=stuck_provisioning,slug=stuck"), leader);
    }

    [Fact]
    public void The_offending_tenants_of_a_check_are_bounded_while_its_count_stays_exact()
    {
        var offenders = Enumerable.Range(0, 25).Select(i => new HealthOffender(Guid.NewGuid(), $"t{i:D2}", "x")).Reverse().ToList();
        var report = new HealthReport(CatalogHealth.DefaultStuckAfter, [new HealthCheckResult("tenants_without_events", "d", offenders)]);
        _ = new CatalogHealthMetrics(_services.GetRequiredService<IMeterFactory>(), () => new CatalogHealthSnapshot(report, _time.GetUtcNow()));

        var measured = Collect();

        Assert.Contains(("controlplane.catalog_health.offenders", 25.0, "check=tenants_without_events"), measured);
        var labelled = measured.Where(m => m.Name == "controlplane.catalog_health.offending_tenant").Select(m => m.Tags).ToList();
        Assert.Equal(Enumerable.Range(0, CatalogHealthMetrics.OffendersPerCheck).Select(i => $"check=tenants_without_events,slug=t{i:D2}"), labelled);
    }

    public void Dispose()
    {
        _jobRuns.Dispose();
        _services.Dispose();
    }

    private PeriodicJob Job(Func<CancellationToken, Task> run) =>
        new("test-job", Period, run, _time, new RuntimeMetrics(_services.GetRequiredService<IMeterFactory>(), OperatorMetrics.MeterName), NullLogger<PeriodicJob>.Instance);

    private List<string> RecordJobRuns()
    {
        var outcomes = new List<string>();
        var factory = _services.GetRequiredService<IMeterFactory>();
        _jobRuns.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "controlplane.periodic_job.runs" && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        _jobRuns.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            lock (outcomes)
            {
                foreach (var tag in tags)
                {
                    if (tag.Key == "result")
                    {
                        outcomes.Add((string)tag.Value!);
                    }
                }
            }
        });
        _jobRuns.Start();
        return outcomes;
    }

    /// <summary>One observation of this test's health gauges: (instrument, value, "key=value,…" in tag order).</summary>
    private List<(string Name, double Value, string Tags)> Collect()
    {
        var measured = new List<(string, double, string)>();
        using var listener = new MeterListener();
        var factory = _services.GetRequiredService<IMeterFactory>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.StartsWith("controlplane.catalog_health.", StringComparison.Ordinal) && instrument.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<int>((i, value, tags, _) => measured.Add((i.Name, value, Tags(tags))));
        listener.SetMeasurementEventCallback<double>((i, value, tags, _) => measured.Add((i.Name, value, Tags(tags))));
        listener.Start();
        listener.RecordObservableInstruments();
        return measured;
    }

    private static string Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var parts = new List<string>();
        foreach (var tag in tags)
        {
            parts.Add($"{tag.Key}={tag.Value}");
        }

        return string.Join(',', parts);
    }
}
