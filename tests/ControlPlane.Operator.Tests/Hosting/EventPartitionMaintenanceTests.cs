using System.Diagnostics.Metrics;
using ControlPlane.Core.Configuration;
using ControlPlane.Operator.Hosting;
using ControlPlane.Runtime;
using ControlPlane.Store.Connection;
using ControlPlane.Store.Events;
using ControlPlane.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Hosting;

/// <summary>The leader's upkeep of the catalog's event partitions, on a real catalog with a fake clock.</summary>
public sealed class EventPartitionMaintenanceTests(PostgresFixture postgres)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DateTimeOffset ThisMonth
    {
        get
        {
            var now = DateTimeOffset.UtcNow;
            return new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero);
        }
    }

    [Fact]
    public async Task The_leader_creates_months_ahead_retires_old_ones_and_drops_them_after_the_grace_period()
    {
        await using var dataSource = NpgsqlDataSource.Create(await CatalogTemplate.CreateDatabaseAsync(postgres, Ct));
        var time = new FakeTimeProvider(ThisMonth.AddMonths(12).AddDays(4));
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var options = new EventPartitionOptions { MonthsAhead = 2, RetentionMonths = 6, RetentionGrace = TimeSpan.FromDays(1) };
        var maintenance = new EventPartitionMaintenance(new EventPartitions(dataSource), options, time, loggers.CreateLogger<EventPartitionMaintenance>());

        Assert.True(await maintenance.RunOnceAsync(Ct));

        Assert.Contains($"[141] Event partition {MonthName(5)} detached by the retention of 6 months", logs.All, StringComparison.Ordinal);
        var partitions = await new EventPartitions(dataSource).ListAsync(Ct);
        Assert.Equal(ThisMonth.AddMonths(15), partitions.Max(p => p.To));
        Assert.Equal(Enumerable.Range(0, 6).Select(MonthName), partitions.Where(p => p.Detached).Select(p => p.Name));

        time.Advance(TimeSpan.FromHours(23));
        Assert.True(await maintenance.RunOnceAsync(Ct));
        Assert.DoesNotContain("[142]", logs.All, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromHours(1));
        Assert.True(await maintenance.RunOnceAsync(Ct));
        Assert.Contains($"[142] Event partition {MonthName(5)} dropped", logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(await new EventPartitions(dataSource).ListAsync(Ct), p => p.Detached);
    }

    [Fact]
    public async Task A_failing_pass_is_named_by_its_sqlstate_and_the_next_period_tries_again()
    {
        // A catalog that was never migrated: the partition functions do not exist.
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync(cancellationToken: Ct));
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var logs = new CapturingLoggerProvider();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(logs));
        var maintenance = new EventPartitionMaintenance(new EventPartitions(dataSource), new EventPartitionOptions(), time, loggers.CreateLogger<EventPartitionMaintenance>());
        using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var leading = CancellationTokenSource.CreateLinkedTokenSource(Ct);

        var job = new PeriodicJob("event-partitions", new EventPartitionOptions().MaintenancePeriod, maintenance.RunOnceAsync, time,
            new RuntimeMetrics(meters.GetRequiredService<IMeterFactory>(), OperatorMetrics.MeterName), loggers.CreateLogger<PeriodicJob>());
        var running = job.RunAsync(leading.Token);
        await WaitForAsync(() => Failures(logs) == 1);
        // Advance until the next pass has run: the first one may not have started its wait yet when the clock first moves.
        await WaitForAsync(() =>
        {
            time.Advance(TimeSpan.FromHours(1));
            return Failures(logs) >= 2;
        });

        Assert.True(logs.All.Contains("Event partition maintenance failed (3F000: schema \"control_plane\" does not exist", StringComparison.Ordinal), logs.All);
        await leading.CancelAsync();
        await running;
    }

    [Fact]
    public void The_variables_set_the_options_and_bad_values_are_refused_by_name()
    {
        var options = Load(new()
        {
            [OperatorOptionsLoader.EventPartitionsAheadVariable] = "6",
            [OperatorOptionsLoader.EventRetentionMonthsVariable] = "13",
            [OperatorOptionsLoader.EventRetentionGraceVariable] = "30",
        }).Events;

        Assert.Equal(new EventRetention(13, TimeSpan.FromDays(30)), options.Retention);
        Assert.Equal(6, options.MonthsAhead);
        Assert.Null(Load(new()).Events.Retention);
        var refused = Assert.Throws<ConfigurationException>(() => Load(new()
        {
            [OperatorOptionsLoader.EventPartitionsAheadVariable] = "0",
            [OperatorOptionsLoader.EventRetentionMonthsVariable] = "0",
            [OperatorOptionsLoader.EventRetentionGraceVariable] = "a week",
        }));
        Assert.Contains("TENANT_EVENTS_RETENTION_GRACE_DAYS must be a whole number (got 'a week')", refused.Message, StringComparison.Ordinal);
        Assert.Contains("MonthsAhead (TENANT_EVENTS_PARTITIONS_AHEAD) must be between 1 and 24 (got 0)", refused.Message, StringComparison.Ordinal);
        Assert.Contains("retention must be between 1 and 1200 months (got 0)", refused.Message, StringComparison.Ordinal);
    }

    private static int Failures(CapturingLoggerProvider logs) => logs.Lines.Count(l => l.Contains("[143]", StringComparison.Ordinal));

    private static string MonthName(int month) => $"tenant_events_{ThisMonth.AddMonths(month):yyyy_MM}";

    private static OperatorOptions Load(Dictionary<string, string> variables)
    {
        variables["POD_NAMESPACE"] = "econt-system";
        variables["POD_NAME"] = "controlplane-0";
        return OperatorOptionsLoader.Load(new ConfigurationBuilder().Build(), DeploymentEnvironment.Dev, name => variables.GetValueOrDefault(name));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 60 s");
            await Task.Delay(50, Ct);
        }
    }
}
