using System.Collections.Concurrent;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using k8s;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using static ControlPlane.Operator.Tests.Runtime.ScriptedTenantClient;

namespace ControlPlane.Operator.Tests.Runtime;

public sealed class InformerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly FakeTimeProvider _time = new();
    private readonly ScriptedTenantClient _api;
    private readonly ConcurrentQueue<ResourceKey> _changed = new();

    public InformerTests() => _api = new ScriptedTenantClient(_time);

    private Informer<Tenant> NewInformer(TimeSpan? relistAfter = null)
    {
        var metrics = new RuntimeMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), OperatorMetrics.MeterName);
        var informer = new Informer<Tenant>(
            _api, [], new InformerSettings(TimeSpan.FromMinutes(5), new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), 500, relistAfter ?? TimeSpan.FromMinutes(10)),
            _time, metrics, NullLogger.Instance);
        informer.Changed += _changed.Enqueue;
        return informer;
    }

    [Fact]
    public async Task After_410_the_relist_removes_and_reports_objects_that_vanished_meanwhile()
    {
        _api.World.AddRange([Tenant("a", "1"), Tenant("b", "1")]);
        var informer = NewInformer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);
        await Until(() => informer.HasSynced && _api.Watches == 1);

        // While the stream was gone, b was deleted and c created; the next watch is told its version expired (410).
        _api.World.RemoveAll(t => t.Metadata.Name == "b");
        _api.World.Add(Tenant("c", "9"));
        _api.ResourceVersion = "9";
        _api.Scripts.Enqueue(([new WatchEvent<Tenant>(WatchEventType.Bookmark, null, "5")], new ResourceExpiredException("expired")));

        // The fake clock moves until the relist happened: on a loaded machine the informer may arm its backoff timer
        // only after a single advance, which would then never fire. What is asserted is the relist's effect, not its timing.
        await Until(() =>
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            return _api.Lists == 2;
        });
        await Until(() => informer.Cache.Count == 2 && informer.Cache.Get(new("tenants", "c")) is not null);
        await stop.CancelAsync();
        await run;

        Assert.Null(informer.Cache.Get(new("tenants", "b")));
        Assert.Contains(new ResourceKey("tenants", "b"), _changed.Skip(2));
        Assert.Contains(new ResourceKey("tenants", "c"), _changed.Skip(2));
    }

    [Fact]
    public async Task Watch_events_update_the_cache_and_a_delete_removes_the_object()
    {
        _api.World.Add(Tenant("a", "1"));
        _api.Scripts.Enqueue((
        [
            new WatchEvent<Tenant>(WatchEventType.Added, Tenant("b", "2"), "2"),
            new WatchEvent<Tenant>(WatchEventType.Modified, Tenant("a", "3"), "3"),
            new WatchEvent<Tenant>(WatchEventType.Deleted, Tenant("b", "4"), "4"),
        ], null));
        var informer = NewInformer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);

        await Until(() => _changed.Count == 4);
        await stop.CancelAsync();
        await run;

        Assert.Equal("3", informer.Cache.Get(new("tenants", "a"))!.Metadata.ResourceVersion);
        Assert.Null(informer.Cache.Get(new("tenants", "b")));
        Assert.Equal(["a", "b", "a", "b"], _changed.Select(k => k.Name));
    }

    [Fact]
    public async Task Streams_that_end_at_once_with_nothing_in_them_are_retried_with_backoff_not_in_a_spin()
    {
        var informer = NewInformer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);
        await Until(() => _api.Watches == 1);
        await Task.Delay(200, _ct);

        // The fake clock has not moved: the informer waits out its first backoff second before watching again.
        Assert.Equal(1, _api.Watches);
        _time.Advance(TimeSpan.FromSeconds(1.1));
        await Until(() => _api.Watches == 2);
        await Task.Delay(200, _ct);
        Assert.Equal(2, _api.Watches);

        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task Watches_that_keep_failing_with_500_fall_back_to_a_relist_within_the_bound_on_the_fake_clock()
    {
        var bound = TimeSpan.FromSeconds(20);
        _api.EveryWatchFails = ServerError();
        var informer = NewInformer(relistAfter: bound);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);
        await Until(() => _api.Watches == 1);
        var firstFailure = _api.Calls.Single(c => c.Verb == "watch").At;

        // Drive the fake clock in small steps until the informer relists (it would back off to 30 s and never relist
        // before the fix). Each step waits briefly for the informer to act, so its timers are not outrun by much.
        var step = TimeSpan.FromMilliseconds(100);
        while (_api.Lists < 2 && _time.GetUtcNow() - firstFailure < TimeSpan.FromMinutes(2))
        {
            var calls = _api.Calls.Count;
            _time.Advance(step);
            for (var i = 0; i < 5 && _api.Calls.Count == calls; i++)
            {
                await Task.Delay(5, _ct);
            }
        }

        await stop.CancelAsync();
        await run;
        var relist = _api.Calls.Where(c => c.Verb == "list").Skip(1).Select(c => c.At).FirstOrDefault();
        Assert.True(relist != default, "the informer never relisted while every watch failed with 500");
        Assert.InRange(relist - firstFailure, bound, bound + TimeSpan.FromSeconds(2));
        Assert.True(_api.Watches >= 4, $"the informer should have retried the watch with backoff meanwhile ({_api.Watches} watches)");
    }

    [Fact]
    public async Task An_established_watch_resets_the_backoff_even_when_no_event_arrives()
    {
        // Four watches refused (backoff 1, 2, 4, 8 s), then one that is established and then fails without an event.
        for (var i = 0; i < 4; i++)
        {
            _api.Scripts.Enqueue(([], ServerError()));
        }

        _api.Scripts.Enqueue(([WatchEvent<Tenant>.Opened("1")], ServerError()));
        _api.EveryWatchFails = ServerError();
        var informer = NewInformer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);
        for (var watches = 1; watches <= 6; watches++)
        {
            await Until(() => _api.Watches == watches);
            await Task.Delay(20, _ct);
            _time.Advance(TimeSpan.FromSeconds(watches == 5 ? 1.2 : 17));
        }

        await stop.CancelAsync();
        await run;

        // The sixth watch came one initial backoff (1 s + jitter) after the fifth, not 16 s: the opening reset it.
        var watchTimes = _api.Calls.Where(c => c.Verb == "watch").Select(c => c.At).ToList();
        Assert.InRange(watchTimes[5] - watchTimes[4], TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.2));
    }

    [Fact]
    public async Task The_informer_reports_itself_unhealthy_when_it_has_not_listed_or_watched_for_the_configured_period()
    {
        _api.EveryWatchFails = ServerError();
        var informer = NewInformer(relistAfter: TimeSpan.FromMinutes(10));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);
        await Until(() => informer.HasSynced && _api.Watches == 1);
        Assert.True(informer.IsHealthy(TimeSpan.FromMinutes(1)));

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.False(informer.IsHealthy(TimeSpan.FromMinutes(1)));

        await stop.CancelAsync();
        await run;
    }

    public void Dispose() => _services.Dispose();

    private static k8s.Autorest.HttpOperationException ServerError() =>
        new("Internal Server Error") { Response = new k8s.Autorest.HttpResponseMessageWrapper(new HttpResponseMessage(System.Net.HttpStatusCode.InternalServerError), "") };

    [Fact]
    public async Task WaitForSyncAsync_completes_when_the_first_list_is_stored_and_not_before()
    {
        _api.World.Add(Tenant("a", "1"));
        _api.ListGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var informer = NewInformer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var synced = informer.WaitForSyncAsync(_ct);
        var run = informer.RunAsync(stop.Token);

        await Until(() => _api.Lists == 1);
        await Task.Delay(50, _ct);
        Assert.False(synced.IsCompleted);
        _api.ListGate.SetResult();
        await synced.WaitAsync(TimeSpan.FromSeconds(5), _ct);

        Assert.True(informer.HasSynced);
        Assert.NotNull(informer.Cache.Get(new("tenants", "a")));
        Assert.True(informer.WaitForSyncAsync(CancellationToken.None).IsCompletedSuccessfully);
        await stop.CancelAsync();
        await run;
    }

    [Fact]
    public async Task WaitForSyncAsync_is_cancelled_by_its_token_while_the_first_list_is_outstanding()
    {
        _api.ListGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var informer = NewInformer();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        var run = informer.RunAsync(stop.Token);
        var synced = informer.WaitForSyncAsync(waiting.Token);

        await Until(() => _api.Lists == 1);
        await waiting.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => synced);
        Assert.False(informer.HasSynced);
        await stop.CancelAsync();
        await run;
    }

    private async Task Until(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 500, "condition not met within 5 s");
            await Task.Delay(10, _ct);
        }
    }
}
