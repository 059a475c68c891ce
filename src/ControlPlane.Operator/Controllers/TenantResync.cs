namespace ControlPlane.Operator.Controllers;

/// <summary>
/// When a healthy Tenant is looked at again although nothing changed: the period (default 10 minutes) jittered by ±10 %
/// per reconcile, so a fleet provisioned together does not hit its database servers together ten minutes later.
/// </summary>
/// <remarks>
/// Why a requeue-after returned by the Tenant reconciler rather than a runtime-wide resync (controller-runtime's
/// <c>SyncPeriod</c>, a periodic relist that re-queues every cached object at once): only the reconciler knows which
/// tenants are healthy and worth observing (a refused spec waits for a change, a blocked tenant already has its own
/// recheck, a deleting one is not repaired), the schedule is per tenant with its own jitter instead of the whole fleet in
/// one burst, the delay runs on the work queue's injected <see cref="TimeProvider"/> (tests move a fake clock), and the
/// SchemaRollout controller, which needs no resync, is left alone. The work queue keeps the earliest pending delay per
/// key, so an event in between (a spec change) is handled at once and the resync still follows.
/// </remarks>
public sealed class TenantResync
{
    public static readonly TimeSpan DefaultPeriod = TimeSpan.FromMinutes(10);
    public static readonly TimeSpan MinimumPeriod = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaximumPeriod = TimeSpan.FromHours(24);

    /// <summary>Each delay lies within ±<see cref="Jitter"/> of the period.</summary>
    public const double Jitter = 0.1;

    private readonly Func<double> _sample;

    /// <param name="period">The mean delay between two resyncs of one tenant.</param>
    /// <param name="sample">Uniform samples in [0, 1) (the seam for tests); <see cref="Random.Shared"/> by default.</param>
    public TenantResync(TimeSpan period, Func<double>? sample = null)
    {
        if (period < MinimumPeriod || period > MaximumPeriod)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, $"The resync period must be between {MinimumPeriod} and {MaximumPeriod}.");
        }

        Period = period;
        _sample = sample ?? Random.Shared.NextDouble;
    }

    public static TenantResync Default { get; } = new(DefaultPeriod);

    public TimeSpan Period { get; }

    /// <summary>The delay until the next resync: the period times a factor drawn uniformly from [0.9, 1.1).</summary>
    public TimeSpan Next()
    {
        var sample = Math.Clamp(_sample(), 0, 1);
        return Period * (1 - Jitter + (2 * Jitter * sample));
    }
}
