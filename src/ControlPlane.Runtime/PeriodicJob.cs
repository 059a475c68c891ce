using Microsoft.Extensions.Logging;

namespace ControlPlane.Runtime;

/// <summary>
/// Work the leader repeats on a period, beside the reconcile workers (catalog health, estate audit, partition
/// upkeep): one run as soon as the term starts, then one per <see cref="Period"/>, until the term ends. Runs never
/// overlap. A failed run is logged and counted (<c>controlplane_periodic_job_runs_total{job,result}</c>) and the next
/// one comes on schedule, so a job never stops for good and one that keeps failing shows in the metrics.
/// </summary>
public sealed class PeriodicJob
{
    private readonly Func<CancellationToken, Task<bool>> _run;
    private readonly TimeProvider _time;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger _logger;

    public PeriodicJob(string name, TimeSpan period, Func<CancellationToken, Task> run, TimeProvider time, RuntimeMetrics metrics, ILogger logger)
        : this(name, period, async cancellationToken => { await run(cancellationToken); return true; }, time, metrics, logger)
    {
    }

    /// <summary>A job whose runs report their own failures (logged where they happen, with their detail): false is a failed run.</summary>
    public PeriodicJob(string name, TimeSpan period, Func<CancellationToken, Task<bool>> run, TimeProvider time, RuntimeMetrics metrics, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        Name = name;
        Period = period;
        _run = run;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public string Name { get; }

    public TimeSpan Period { get; }

    /// <summary>Runs until <paramref name="leading"/> fires (the term ended or the process stops).</summary>
    public async Task RunAsync(CancellationToken leading)
    {
        using var timer = new PeriodicTimer(Period, _time);
        do
        {
            try
            {
                _metrics.JobRan(Name, succeeded: await _run(leading));
            }
            catch (OperationCanceledException) when (leading.IsCancellationRequested)
            {
                return;
            }
            catch (Exception error)
            {
                _metrics.JobRan(Name, succeeded: false);
                Log.PeriodicJobFailed(_logger, error, Name, Period);
            }
        }
        while (await NextTickAsync(timer, leading));
    }

    private static async Task<bool> NextTickAsync(PeriodicTimer timer, CancellationToken leading)
    {
        try
        {
            return await timer.WaitForNextTickAsync(leading);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
