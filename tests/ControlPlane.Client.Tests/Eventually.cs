using System.Diagnostics;

namespace ControlPlane.Client.Tests;

/// <summary>Polls until a result has the expected type, failing with the last result once the deadline passes.</summary>
internal static class Eventually
{
    public static async Task<ResolveResult> AsyncIs<T>(Func<Task<ResolveResult>> resolve, TimeSpan within)
        where T : ResolveResult
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var result = await resolve();
            if (result is T)
            {
                return result;
            }

            if (clock.Elapsed > within)
            {
                Assert.Fail($"Expected {typeof(T).Name} within {within.TotalMilliseconds} ms; still {result.GetType().Name} after {clock.ElapsedMilliseconds} ms.");
            }

            await Task.Delay(5, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>
    /// Waits until <paramref name="slug"/> is served from the cache (two resolves 50 ms apart give the same object), so the
    /// notifications of the writes that created the tenant have arrived and cannot drop the entry later in the test.
    /// </summary>
    public static async Task<ResolveResult.Resolved> CachedAsync(TenantConnectionResolver resolver, string slug)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var first = await resolver.ResolveAsync(slug, cancellationToken);
            await Task.Delay(50, cancellationToken);
            if (first is ResolveResult.Resolved resolved && ReferenceEquals(first, await resolver.ResolveAsync(slug, cancellationToken)))
            {
                return resolved;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{slug} was never served from the cache within 30 s; last {first.GetType().Name}.");
        }
    }
}
