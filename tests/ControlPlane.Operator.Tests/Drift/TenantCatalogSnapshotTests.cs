using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Controllers;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Drift;

/// <summary>
/// The leader's catalog snapshot (ADR-CP-011) on a real catalog: it serves rows until they are older than its maximum
/// age, and a row a pass acted on is not served again by a read that started before the act.
/// </summary>
public sealed class TenantCatalogSnapshotTests(PostgresFixture postgres) : IAsyncDisposable
{
    private NpgsqlDataSource? _dataSource;
    private static readonly TimeSpan MaxAge = TimeSpan.FromMinutes(5);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_row_is_served_from_one_bulk_read_until_the_read_is_older_than_the_maximum_age()
    {
        var (catalog, time, snapshot) = await StartAsync();
        var acme = await ActiveAsync(catalog, "snap-acme");

        Assert.Equal(acme.Id, (await snapshot.FindAsync(acme.Id, _ct))!.Tenant.Id);
        await catalog.UpdateLimitsAsync(acme.Id, new CatalogTenantLimits(MaxUsers: 7), "test", _ct);

        // Within the maximum age the first read serves (a row older than the catalog: fine for deciding, never for acting).
        Assert.Null((await snapshot.FindAsync(acme.Id, _ct))!.Limits?.MaxUsers);
        Assert.Equal(1, snapshot.Metrics!.Loads);

        time.Advance(MaxAge);
        Assert.Equal(7, (await snapshot.FindAsync(acme.Id, _ct))!.Limits?.MaxUsers);
        Assert.Equal(2, snapshot.Metrics.Loads);
    }

    [Fact]
    public async Task A_row_a_pass_acted_on_is_not_served_until_a_read_that_started_after_the_act()
    {
        var (catalog, time, snapshot) = await StartAsync();
        var acme = await ActiveAsync(catalog, "snap-acted");
        var other = await ActiveAsync(catalog, "snap-other");
        Assert.NotNull(await snapshot.FindAsync(acme.Id, _ct));

        // The pass confirms its row before acting (TenantReconciler.Snapshot.cs), then acts.
        snapshot.Forget(acme.Id);
        await catalog.UpdateLimitsAsync(acme.Id, new CatalogTenantLimits(MaxUsers: 9), "test", _ct);

        // The passes that follow read their own row instead of the one the act made stale; the others still share the read.
        Assert.Null(await snapshot.FindAsync(acme.Id, _ct));
        Assert.NotNull(await snapshot.FindAsync(other.Id, _ct));

        time.Advance(MaxAge);
        Assert.Equal(9, (await snapshot.FindAsync(acme.Id, _ct))!.Limits?.MaxUsers);
        Assert.Equal(2, snapshot.Metrics!.Loads);
    }

    [Fact]
    public async Task A_new_term_forgets_every_row_and_every_act()
    {
        var (catalog, _, snapshot) = await StartAsync();
        var acme = await ActiveAsync(catalog, "snap-term");
        Assert.NotNull(await snapshot.FindAsync(acme.Id, _ct));
        snapshot.Forget(acme.Id);

        snapshot.Clear();

        Assert.NotNull(await snapshot.FindAsync(acme.Id, _ct));
        Assert.Equal(2, snapshot.Metrics!.Loads);
    }

    [Fact]
    public async Task A_prefetch_at_the_start_of_a_term_loads_once_and_the_first_passes_share_that_load()
    {
        var (catalog, _, snapshot) = await StartAsync();
        var acme = await ActiveAsync(catalog, "snap-early");

        snapshot.Prefetch();
        await OperatorTestCluster.WaitUntilAsync(
            () => Task.FromResult(snapshot.Metrics!.Loads == 1), TimeSpan.FromSeconds(30), () => "the prefetched load", _ct);
        snapshot.Prefetch();

        Assert.NotNull(await snapshot.FindAsync(acme.Id, _ct));
        Assert.Equal(1, snapshot.Metrics!.Loads);
    }

    private async Task<(TenantCatalog Catalog, FakeTimeProvider Time, TenantCatalogSnapshot Snapshot)> StartAsync()
    {
        _dataSource = NpgsqlDataSource.Create(await CatalogTemplate.CreateDatabaseAsync(postgres, _ct));
        var catalog = new TenantCatalog(_dataSource);
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-12-02T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var metrics = new CatalogSnapshotMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider()
            .GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        return (catalog, time, new TenantCatalogSnapshot(catalog, MaxAge, time, NullLogger.Instance, metrics));
    }

    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }
    }

    private async Task<CatalogTenant> ActiveAsync(TenantCatalog catalog, string slug)
    {
        var database = slug.Replace('-', '_');
        var tenant = await catalog.RegisterAsync(
            new TenantRegistration(slug, slug, $"tenant_{database}", "db.internal", $"app_{database}", SecretReference.Parse($"env:{database.ToUpperInvariant()}_PASSWORD")),
            "test", _ct);
        return await catalog.MarkActiveAsync(tenant.Id, "test", _ct);
    }
}
