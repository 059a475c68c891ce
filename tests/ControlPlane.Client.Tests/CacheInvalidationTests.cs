using System.Diagnostics;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Client.Tests;

/// <summary>The cache never answers a suspension with a stale allow: LISTEN/NOTIFY invalidates, a lost listener disables it, the TTL bounds the rest.</summary>
public sealed class CacheInvalidationTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_suspension_takes_effect_within_one_second_for_a_client_that_resolved_just_before()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver(new TenantConnectionResolverOptions { CacheTtl = TimeSpan.FromMinutes(5) });
        await resolver.StartAsync(cancellationToken);
        Assert.True(resolver.IsListening);
        var tenant = await harness.AddTenantAsync("acme", CatalogTenantStatus.Active);
        // Served from the cache from now on: the very same result object, not a second read.
        await Eventually.CachedAsync(resolver, "acme");

        await harness.Catalog.MarkSuspendedAsync(tenant.Id, "fraud review", "test", cancellationToken);
        var committed = Stopwatch.StartNew();
        var result = await Eventually.AsyncIs<ResolveResult.Suspended>(() => resolver.ResolveAsync("acme", cancellationToken), TimeSpan.FromSeconds(1));

        Assert.True(committed.Elapsed < TimeSpan.FromSeconds(1), $"took {committed.ElapsedMilliseconds} ms");
        Assert.Equal("fraud review", ((ResolveResult.Suspended)result).Reason);
    }

    [Fact]
    public async Task While_the_listener_is_down_no_cached_allow_is_served()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        var options = new TenantConnectionResolverOptions
        {
            CacheTtl = TimeSpan.FromMinutes(5),
            ListenerHeartbeat = TimeSpan.FromMinutes(5),
            ReconnectMinDelay = TimeSpan.FromMinutes(5),
            ReconnectMaxDelay = TimeSpan.FromMinutes(5),
        };
        await using var resolver = harness.CreateResolver(options);
        await resolver.StartAsync(cancellationToken);
        var tenant = await harness.AddTenantAsync("acme", CatalogTenantStatus.Active);
        await Eventually.CachedAsync(resolver, "acme");

        // The server ends the listening session; the reconnect is five minutes away, so the suspension below is announced to no one.
        Assert.Equal(1, await harness.TerminateListenerAsync());
        var clock = Stopwatch.StartNew();
        while (resolver.IsListening && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5, cancellationToken);
        }

        Assert.False(resolver.IsListening);
        await harness.Catalog.MarkSuspendedAsync(tenant.Id, "fraud review", "test", cancellationToken);

        Assert.IsType<ResolveResult.Suspended>(await resolver.ResolveAsync("acme", cancellationToken));
        Assert.Contains(harness.Logs.Lines, line => line.Contains("[4001]", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_lost_listener_reconnects_and_invalidates_again()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver(new TenantConnectionResolverOptions
        {
            CacheTtl = TimeSpan.FromMinutes(5),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
        });
        await resolver.StartAsync(cancellationToken);
        var tenant = await harness.AddTenantAsync("acme", CatalogTenantStatus.Active);

        Assert.Equal(1, await harness.TerminateListenerAsync());
        // First the loss is noticed (logged), then the listener subscribes again.
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(10) && !(harness.Logs.All.Contains("[4001]", StringComparison.Ordinal) && resolver.IsListening))
        {
            await Task.Delay(10, cancellationToken);
        }

        Assert.True(resolver.IsListening, "the listener did not come back");
        await Eventually.CachedAsync(resolver, "acme");
        await harness.Catalog.MarkSuspendedAsync(tenant.Id, "fraud review", "test", cancellationToken);

        await Eventually.AsyncIs<ResolveResult.Suspended>(() => resolver.ResolveAsync("acme", cancellationToken), TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task A_change_that_was_never_announced_is_picked_up_when_the_ttl_expires()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var time = new FakeTimeProvider();
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver(new TenantConnectionResolverOptions { CacheTtl = TimeSpan.FromSeconds(10) }, time);
        await resolver.StartAsync(cancellationToken);
        var tenant = await harness.AddTenantAsync("acme", CatalogTenantStatus.Active);
        var first = await Eventually.CachedAsync(resolver, "acme");

        // session_replication_role = replica skips triggers: the row changes and no notification is sent.
        await harness.ExecuteUnannouncedAsync("UPDATE control_plane.tenants SET status = 'suspended', suspended_reason = 'silent' WHERE id = $1", tenant.Id);
        time.Advance(TimeSpan.FromSeconds(9));
        Assert.Same(first, await resolver.ResolveAsync("acme", cancellationToken));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal("silent", Assert.IsType<ResolveResult.Suspended>(await resolver.ResolveAsync("acme", cancellationToken)).Reason);
    }

    [Fact]
    public async Task Concurrent_resolves_of_one_slug_share_one_fetch()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var api = await KubeApiServer.StartAsync(cancellationToken: cancellationToken);
        await using var harness = await ResolverHarness.CreateAsync(postgres, api.CreateClient());
        // Not started: completed results are never reused, so identical objects can only come from one shared fetch.
        await using var resolver = harness.CreateResolver();
        await harness.AddTenantAsync("acme", CatalogTenantStatus.Active, secretRef: (await harness.WriteKubernetesSecretAsync("acme")).ToString());
        // A slow secret manager keeps the first fetch in flight while all fifty calls arrive.
        api.Latency = TimeSpan.FromMilliseconds(300);

        var results = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => resolver.ResolveAsync(i % 2 == 0 ? "acme" : "ACME", cancellationToken)));

        Assert.All(results, r => Assert.Same(results[0], r));
        Assert.IsType<ResolveResult.Resolved>(results[0]);
        Assert.NotSame(results[0], await resolver.ResolveAsync("acme", cancellationToken));
    }
}
