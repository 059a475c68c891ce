namespace ControlPlane.Store.Events;

/// <summary>
/// How long events are kept: a monthly partition is retired once all of it is older than <see cref="Months"/> months
/// (so never the current or the next month), and the detached table is dropped <see cref="Grace"/> later.
/// </summary>
public sealed record EventRetention(int Months, TimeSpan Grace)
{
    public const int MaxMonths = 1200;

    public static readonly TimeSpan DefaultGrace = TimeSpan.FromDays(7);

    /// <summary>Null when valid, else why not (for the operator's configuration errors).</summary>
    public string? Problem() =>
        Months is < 1 or > MaxMonths ? $"retention must be between 1 and {MaxMonths} months (got {Months})"
        : Grace < TimeSpan.Zero ? $"the retention grace period must not be negative (got {Grace})"
        : null;
}
