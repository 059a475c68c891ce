using System.Collections.Concurrent;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Runtime;
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
    private readonly ScriptedTenantClient _api = new();
    private readonly ConcurrentQueue<ResourceKey> _changed = new();

    private Informer<Tenant> NewInformer()
    {
        var metrics = new OperatorMetrics(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var informer = new Informer<Tenant>(
            _api, [], new InformerSettings(TimeSpan.FromMinutes(5), new Backoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)), 500),
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
        _time.Advance(TimeSpan.FromSeconds(1.1));
        await Until(() => _api.Lists == 2);
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

    public void Dispose() => _services.Dispose();

    private async Task Until(Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 500, "condition not met within 5 s");
            await Task.Delay(10, _ct);
        }
    }
}
