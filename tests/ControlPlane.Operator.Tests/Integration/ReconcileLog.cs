namespace ControlPlane.Operator.Tests.Integration;

/// <summary>The reconcile logs of several operator instances, read together on the clock they share.</summary>
internal static class ReconcileLog
{
    /// <summary>
    /// Every reconcile that began before a reconcile of another instance had ended (spans sorted by start; the latest
    /// end seen per instance), described with both wall-clock times. Empty when no two instances ever reconciled at once.
    /// </summary>
    public static List<string> Overlaps(IEnumerable<(string Identity, ReconcileSpan Span)> log)
    {
        var latestEnd = new Dictionary<string, ReconcileSpan>();
        var overlaps = new List<string>();
        foreach (var (identity, span) in log.OrderBy(x => x.Span.Started))
        {
            overlaps.AddRange(latestEnd.Where(e => e.Key != identity && e.Value.Ended >= span.Started)
                .Select(e => $"{identity} started {span.Name} at {span.WallStarted:O} while {e.Key} reconciled {e.Value.Name} until {e.Value.WallEnded:O}"));
            if (!latestEnd.TryGetValue(identity, out var previous) || previous.Ended < span.Ended)
            {
                latestEnd[identity] = span;
            }
        }

        return overlaps;
    }
}
