using ControlPlane.Runtime;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Operator.Tests.Runtime;

public sealed class WorkQueueTests
{
    private static readonly Backoff Backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(16));
    private readonly FakeTimeProvider _time = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_key_added_many_times_waits_once()
    {
        using var queue = new WorkQueue<string>(_time, Backoff);
        for (var i = 0; i < 5; i++)
        {
            queue.Add("ns/a");
        }

        queue.Add("ns/b");

        Assert.Equal(2, queue.Depth);
        Assert.Equal("ns/a", await queue.GetAsync(_ct));
        Assert.Equal("ns/b", await queue.GetAsync(_ct));
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task A_key_added_while_processing_comes_back_once_after_Done_and_not_before()
    {
        using var queue = new WorkQueue<string>(_time, Backoff);
        queue.Add("ns/a");
        var key = await queue.GetAsync(_ct);

        queue.Add("ns/a");
        queue.Add("ns/a");
        Assert.Equal(0, queue.Depth);

        queue.Done(key);
        Assert.Equal(1, queue.Depth);
        Assert.Equal("ns/a", await queue.GetAsync(_ct));
        queue.Done("ns/a");
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task Under_a_burst_of_adds_no_key_is_ever_held_by_two_workers_and_every_last_add_is_processed()
    {
        using var queue = new WorkQueue<int>(TimeProvider.System, Backoff);
        var holders = new int[10];
        var overlaps = 0;
        var lastProcessedVersion = new int[10];
        var latestVersion = new int[10];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_ct);

        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                int key;
                try
                {
                    key = await queue.GetAsync(stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                if (Interlocked.Increment(ref holders[key]) > 1)
                {
                    Interlocked.Increment(ref overlaps);
                }

                var seen = Volatile.Read(ref latestVersion[key]);
                await Task.Yield();
                Volatile.Write(ref lastProcessedVersion[key], seen);
                Interlocked.Decrement(ref holders[key]);
                queue.Done(key);
            }
        })).ToArray();

        for (var round = 1; round <= 2000; round++)
        {
            var key = round % 10;
            Interlocked.Exchange(ref latestVersion[key], round);
            queue.Add(key);
        }

        await WaitUntil(() => Enumerable.Range(0, 10).All(k => Volatile.Read(ref lastProcessedVersion[k]) == Volatile.Read(ref latestVersion[k])));
        await stop.CancelAsync();
        await Task.WhenAll(workers);

        Assert.Equal(0, overlaps);
    }

    [Fact]
    public async Task Rate_limited_retries_double_per_failure_up_to_the_cap_and_Forget_resets()
    {
        using var queue = new WorkQueue<string>(_time, Backoff);
        var delays = new List<TimeSpan>();
        for (var i = 0; i < 7; i++)
        {
            delays.Add(queue.AddRateLimited("ns/a"));
            _time.Advance(delays[^1]);
            Assert.Equal("ns/a", await queue.GetAsync(_ct));
            queue.Done("ns/a");
        }

        var floors = new[] { 1, 2, 4, 8, 16, 16, 16 };
        for (var i = 0; i < floors.Length; i++)
        {
            Assert.InRange(delays[i], TimeSpan.FromSeconds(floors[i]), TimeSpan.FromSeconds(Math.Min(floors[i] * 1.1, 16)));
        }

        queue.Forget("ns/a");
        Assert.InRange(queue.AddRateLimited("ns/a"), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.1));
    }

    [Fact]
    public async Task A_delayed_add_arrives_only_when_due_and_the_earlier_of_two_wins()
    {
        using var queue = new WorkQueue<string>(_time, Backoff);
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(30));
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(10));

        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, queue.Depth);

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, queue.Depth);
        Assert.Equal("ns/a", await queue.GetAsync(_ct));
        queue.Done("ns/a");

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, queue.Depth);
    }

    [Fact]
    public async Task ShutDown_ends_waiting_workers_and_drops_delayed_keys()
    {
        var queue = new WorkQueue<string>(_time, Backoff);
        queue.AddAfter("ns/a", TimeSpan.FromSeconds(1));
        var waiting = queue.GetAsync(_ct).AsTask();

        queue.ShutDown();
        _time.Advance(TimeSpan.FromSeconds(5));

        await Assert.ThrowsAsync<System.Threading.Channels.ChannelClosedException>(() => waiting);
        Assert.Equal(0, queue.Depth);
    }

    private async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 20 s");
            await Task.Delay(10, _ct);
        }
    }
}
