using ControlPlane.Core.Caching;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>The one-fetch-per-key cache the secret store and the tenant resolver share (it lives in ControlPlane.Core, which has no test project of its own).</summary>
public sealed class SingleFlightCacheTests
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new();
    private readonly Source _source = new();

    [Fact]
    public async Task Concurrent_callers_of_one_key_share_a_single_fetch()
    {
        using var cache = Cache();
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        // Fifty callers on the thread pool at once; every one holds its task before the fetch may complete.
        var callers = await Task.WhenAll(Enumerable.Range(0, 50)
            .Select(_ => Task.Factory.StartNew(() => cache.GetAsync("a", Token), Token, TaskCreationOptions.None, TaskScheduler.Default)));
        Assert.All(callers, caller => Assert.False(caller.IsCompleted));
        _source.Gate.SetResult();
        var values = await Task.WhenAll(callers);

        Assert.All(values, v => Assert.Equal("a#1", v));
        Assert.Equal(1, _source.Fetches("a"));
    }

    [Fact]
    public async Task Different_keys_fetch_separately_and_keys_compare_with_the_given_comparer()
    {
        using var cache = Cache(comparer: StringComparer.OrdinalIgnoreCase);

        Assert.Equal("a#1", await cache.GetAsync("a", Token));
        Assert.Equal("a#1", await cache.GetAsync("A", Token));
        Assert.Equal("b#1", await cache.GetAsync("b", Token));
        Assert.Equal(1, _source.Fetches("a"));
        Assert.Equal(1, _source.Fetches("b"));
    }

    [Fact]
    public async Task A_result_is_served_from_memory_until_its_time_to_live_passes()
    {
        using var cache = Cache();

        Assert.Equal("a#1", await cache.GetAsync("a", Token));
        _clock.Advance(Ttl - TimeSpan.FromTicks(1));
        Assert.Equal("a#1", await cache.GetAsync("a", Token));

        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.Equal("a#2", await cache.GetAsync("a", Token));
        Assert.Equal(2, _source.Fetches("a"));
    }

    [Fact]
    public async Task A_zero_time_to_live_shares_fetches_in_flight_but_keeps_nothing()
    {
        using var cache = Cache(new SingleFlightCachePolicy<string> { TimeToLive = TimeSpan.Zero });
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = cache.GetAsync("a", Token);
        var second = cache.GetAsync("a", Token);
        _source.Gate.SetResult();
        Assert.Equal(["a#1", "a#1"], await Task.WhenAll(first, second));

        Assert.Equal("a#2", await cache.GetAsync("a", Token));
    }

    [Fact]
    public async Task A_failure_reaches_every_caller_of_its_fetch_and_is_not_kept()
    {
        using var cache = Cache();
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _source.FailNext = true;

        var first = cache.GetAsync("a", Token);
        var second = cache.GetAsync("a", Token);
        _source.Gate.SetResult();

        Assert.Equal("fetch 1 of a failed", (await Assert.ThrowsAsync<InvalidOperationException>(() => first)).Message);
        Assert.Equal("fetch 1 of a failed", (await Assert.ThrowsAsync<InvalidOperationException>(() => second)).Message);
        Assert.Equal("a#2", await cache.GetAsync("a", Token));
        Assert.Equal(2, _source.Fetches("a"));
    }

    [Fact]
    public async Task A_result_the_policy_does_not_keep_reaches_its_callers_and_the_next_call_fetches_again()
    {
        using var cache = Cache(new SingleFlightCachePolicy<string> { TimeToLive = Ttl, Keeps = v => !v.StartsWith("unknown", StringComparison.Ordinal) });
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = cache.GetAsync("unknown", Token);
        var second = cache.GetAsync("unknown", Token);
        _source.Gate.SetResult();
        Assert.Equal(["unknown#1", "unknown#1"], await Task.WhenAll(first, second));
        Assert.Equal("unknown#2", await cache.GetAsync("unknown", Token));

        Assert.Equal("a#1", await cache.GetAsync("a", Token));
        Assert.Equal("a#1", await cache.GetAsync("a", Token));
    }

    [Fact]
    public async Task One_caller_giving_up_neither_cancels_the_fetch_nor_fails_the_others()
    {
        using var cache = Cache();
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var first = cache.GetAsync("a", impatient.Token);
        var second = cache.GetAsync("a", Token);
        await impatient.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        Assert.False(second.IsCompleted);
        _source.Gate.SetResult();
        Assert.Equal("a#1", await second);
        Assert.Equal(1, _source.Fetches("a"));
        Assert.False(_source.LastToken.IsCancellationRequested);
    }

    [Fact]
    public async Task A_fetch_whose_callers_all_left_still_completes_and_its_result_is_kept()
    {
        using var cache = Cache();
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var impatient = new CancellationTokenSource();

        var only = cache.GetAsync("a", impatient.Token);
        await impatient.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => only);
        _source.Gate.SetResult();

        Assert.Equal("a#1", await cache.GetAsync("a", Token));
        Assert.Equal(1, _source.Fetches("a"));
    }

    [Fact]
    public async Task Invalidate_drops_one_key_and_clear_drops_every_key()
    {
        using var cache = Cache();
        await cache.GetAsync("a", Token);
        await cache.GetAsync("b", Token);

        cache.Invalidate("a");
        Assert.Equal("a#2", await cache.GetAsync("a", Token));
        Assert.Equal("b#1", await cache.GetAsync("b", Token));

        cache.Clear();
        Assert.Equal("a#3", await cache.GetAsync("a", Token));
        Assert.Equal("b#2", await cache.GetAsync("b", Token));
    }

    [Fact]
    public async Task An_invalidation_during_a_fetch_makes_the_next_call_fetch_again()
    {
        using var cache = Cache();
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var inFlight = cache.GetAsync("a", Token);
        cache.Invalidate("a");
        _source.Gate.SetResult();

        Assert.Equal("a#1", await inFlight);
        Assert.Equal("a#2", await cache.GetAsync("a", Token));
    }

    [Fact]
    public async Task A_cache_that_is_not_serving_shares_fetches_in_flight_but_serves_no_completed_result()
    {
        using var cache = Cache(new SingleFlightCachePolicy<string> { TimeToLive = Ttl, ServesFromStart = false });
        Assert.False(cache.IsServing);
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var first = cache.GetAsync("a", Token);
        var second = cache.GetAsync("a", Token);
        _source.Gate.SetResult();
        Assert.Equal(["a#1", "a#1"], await Task.WhenAll(first, second));
        Assert.Equal("a#2", await cache.GetAsync("a", Token));

        cache.ResumeServing();
        Assert.True(cache.IsServing);
        Assert.Equal("a#3", await cache.GetAsync("a", Token));
        Assert.Equal("a#3", await cache.GetAsync("a", Token));
    }

    [Fact]
    public async Task Nothing_fetched_before_a_suspension_is_served_after_serving_resumes()
    {
        using var cache = Cache();
        Assert.Equal("a#1", await cache.GetAsync("a", Token));

        cache.SuspendServing();
        Assert.False(cache.IsServing);
        cache.ResumeServing();

        Assert.Equal("a#2", await cache.GetAsync("a", Token));
        Assert.Equal("a#2", await cache.GetAsync("a", Token));
    }

    [Fact]
    public async Task Disposing_the_cache_cancels_the_fetch_in_flight()
    {
        var cache = Cache();
        _source.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var inFlight = cache.GetAsync("a", Token);
        cache.Dispose();
        cache.Dispose();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => inFlight);
        Assert.True(_source.LastToken.IsCancellationRequested);
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private SingleFlightCache<string, string> Cache(SingleFlightCachePolicy<string>? policy = null, IEqualityComparer<string>? comparer = null) =>
        new(_source.FetchAsync, policy ?? new SingleFlightCachePolicy<string> { TimeToLive = Ttl }, _clock, comparer);

    /// <summary>Answers "key#n" for the n-th fetch of a key; fetches can be held at a gate, and the next one made to fail.</summary>
    private sealed class Source
    {
        private readonly Dictionary<string, int> _fetches = new(StringComparer.OrdinalIgnoreCase);

        public TaskCompletionSource? Gate { get; set; }

        public bool FailNext { get; set; }

        public CancellationToken LastToken { get; private set; }

        public int Fetches(string key)
        {
            lock (_fetches)
            {
                return _fetches.GetValueOrDefault(key);
            }
        }

        public async Task<string> FetchAsync(string key, CancellationToken cancellationToken)
        {
            int n;
            lock (_fetches)
            {
                n = _fetches[key] = _fetches.GetValueOrDefault(key) + 1;
                LastToken = cancellationToken;
            }

            if (Gate is { } gate)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            if (FailNext)
            {
                FailNext = false;
                throw new InvalidOperationException($"fetch {n} of {key} failed");
            }

            return $"{key}#{n}";
        }
    }
}
