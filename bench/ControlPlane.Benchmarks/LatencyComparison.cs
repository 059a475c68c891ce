using System.Diagnostics;
using System.Globalization;

namespace ControlPlane.Benchmarks;

/// <summary>
/// Times two implementations of one operation in the same run, interleaved call by call (alternating which goes
/// first) so drift of a shared machine hits both alike, and reports p50/p99 of each and their ratio.
/// </summary>
internal sealed record LatencyComparison(string Operation, double CandidateP50, double CandidateP99, double BaselineP50, double BaselineP99)
{
    public double RatioP50 => CandidateP50 / BaselineP50;

    public double RatioP99 => CandidateP99 / BaselineP99;

    public static async Task<LatencyComparison> MeasureAsync(
        string operation, int warmup, int iterations, Func<int, Task> candidate, Func<int, Task> baseline)
    {
        for (var i = 0; i < warmup; i++)
        {
            await candidate(i);
            await baseline(i);
        }

        var candidateTimes = new double[iterations];
        var baselineTimes = new double[iterations];
        for (var i = 0; i < iterations; i++)
        {
            if (i % 2 == 0)
            {
                candidateTimes[i] = await TimeAsync(candidate, i);
                baselineTimes[i] = await TimeAsync(baseline, i);
            }
            else
            {
                baselineTimes[i] = await TimeAsync(baseline, i);
                candidateTimes[i] = await TimeAsync(candidate, i);
            }
        }

        Array.Sort(candidateTimes);
        Array.Sort(baselineTimes);
        return new LatencyComparison(operation,
            Percentile(candidateTimes, 0.50), Percentile(candidateTimes, 0.99), Percentile(baselineTimes, 0.50), Percentile(baselineTimes, 0.99));
    }

    /// <summary>The target of a row that is reported, not held to a ratio.</summary>
    public const double NoTarget = double.PositiveInfinity;

    /// <summary>One table row; <see cref="NoTarget"/> prints it as reported.</summary>
    public string Format(double target) => string.Create(CultureInfo.InvariantCulture,
        $"{Operation,-28} {CandidateP50,9:F1} {CandidateP99,9:F1} {BaselineP50,9:F1} {BaselineP99,9:F1} {RatioP50,7:F2} {RatioP99,7:F2}  {(target == NoTarget ? "reported" : RatioP50 <= target ? "ok" : "OVER")}");

    public static string Header(string candidate, string baseline) =>
        $"{"operation (µs)",-28} {candidate + " p50",9} {candidate + " p99",9} {baseline + " p50",9} {baseline + " p99",9} {"x p50",7} {"x p99",7}  target";

    private static async Task<double> TimeAsync(Func<int, Task> action, int i)
    {
        var start = Stopwatch.GetTimestamp();
        await action(i);
        return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
