using k8s.Models;

namespace ControlPlane.Runtime;

/// <summary>
/// metav1.Condition bookkeeping: <c>lastTransitionTime</c> moves only when the status flips, so re-asserting the
/// same condition changes nothing and causes no status write.
/// </summary>
public static class Conditions
{
    public const string True = "True";
    public const string False = "False";
    public const string Unknown = "Unknown";

    /// <summary>A copy of <paramref name="existing"/> with the condition of <paramref name="type"/> set.</summary>
    public static List<V1Condition> Set(
        IEnumerable<V1Condition>? existing, string type, string status, string reason, string message, long? observedGeneration, DateTimeOffset now)
    {
        var list = existing?.Select(Copy).ToList() ?? [];
        var current = list.FirstOrDefault(c => c.Type == type);
        // Whole seconds: the API server stores metav1.Time at that precision, and a finer value would differ after a round trip.
        var transition = current is not null && current.Status == status
            ? current.LastTransitionTime
            : DateTime.UnixEpoch.AddSeconds(now.ToUnixTimeSeconds());
        var next = new V1Condition
        {
            Type = type,
            Status = status,
            ObservedGeneration = observedGeneration,
            LastTransitionTime = transition,
            Reason = reason,
            Message = message,
        };
        if (current is null)
        {
            list.Add(next);
        }
        else
        {
            list[list.IndexOf(current)] = next;
        }

        return list;
    }

    public static V1Condition? Find(IEnumerable<V1Condition>? conditions, string type) =>
        conditions?.FirstOrDefault(c => c.Type == type);

    private static V1Condition Copy(V1Condition c) => new()
    {
        Type = c.Type,
        Status = c.Status,
        ObservedGeneration = c.ObservedGeneration,
        LastTransitionTime = c.LastTransitionTime,
        Reason = c.Reason,
        Message = c.Message,
    };
}
