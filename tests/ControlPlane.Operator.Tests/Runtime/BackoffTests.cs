using ControlPlane.Runtime;

namespace ControlPlane.Operator.Tests.Runtime;

public sealed class BackoffTests
{
    private static readonly Backoff Backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(5));

    [Theory]
    [InlineData(1, 0.0, 100)]
    [InlineData(2, 0.0, 200)]
    [InlineData(3, 1.0, 440)]
    [InlineData(6, 0.0, 3200)]
    [InlineData(7, 0.0, 5000)]
    [InlineData(7, 1.0, 5000)]
    [InlineData(1000, 0.5, 5000)]
    public void Delay_doubles_per_failure_adds_at_most_ten_percent_jitter_and_never_exceeds_the_cap(int failures, double random, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), Backoff.Delay(failures, random));
    }
}
