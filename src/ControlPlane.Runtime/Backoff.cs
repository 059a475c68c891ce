namespace ControlPlane.Runtime;

/// <summary>
/// Exponential backoff with up to 10 % added jitter, never above <see cref="Max"/>. Jitter only ever adds, so a retry
/// is never earlier than the exponential schedule promises, and replicas that failed together do not retry in lock-step.
/// </summary>
public sealed record Backoff(TimeSpan Initial, TimeSpan Max)
{
    private const double JitterFraction = 0.1;

    /// <summary>The delay before retry number <paramref name="failures"/> (1 for the first failure).</summary>
    public TimeSpan Delay(int failures, double random01)
    {
        var exponent = Math.Min(Math.Max(failures, 1) - 1, 30);
        var baseTicks = Math.Min(Initial.Ticks * Math.Pow(2, exponent), Max.Ticks);
        var jittered = baseTicks * (1 + (JitterFraction * Math.Clamp(random01, 0, 1)));
        return TimeSpan.FromTicks((long)Math.Min(jittered, Max.Ticks));
    }

    public TimeSpan Delay(int failures) => Delay(failures, Random.Shared.NextDouble());
}
