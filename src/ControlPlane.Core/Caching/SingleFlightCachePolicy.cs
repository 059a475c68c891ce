namespace ControlPlane.Core.Caching;

/// <summary>What a <see cref="SingleFlightCache{TKey, TValue}"/> keeps, for how long, and from when it serves.</summary>
/// <remarks>Failures are never kept, whatever the policy: every caller waiting on the failed fetch sees the exception and the next call fetches again.</remarks>
public sealed record SingleFlightCachePolicy<TValue>
{
    /// <summary>How long a kept result is served after its fetch completed. Zero shares fetches in flight and keeps nothing.</summary>
    public required TimeSpan TimeToLive { get; init; }

    /// <summary>Which successful results are kept; one that is not still reaches every caller of its fetch. Every result by default.</summary>
    public Func<TValue, bool> Keeps { get; init; } = static _ => true;

    /// <summary>
    /// Whether completed results are served from construction on. A cache whose results are only valid while something
    /// else holds (a change subscription) starts with <see langword="false"/> and calls
    /// <see cref="SingleFlightCache{TKey, TValue}.ResumeServing"/> when that holds.
    /// </summary>
    public bool ServesFromStart { get; init; } = true;
}
