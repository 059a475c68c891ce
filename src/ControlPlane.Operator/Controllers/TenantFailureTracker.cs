using System.Collections.Concurrent;
using ControlPlane.Operator.Api.V1Alpha1;

namespace ControlPlane.Operator.Controllers;

/// <summary>
/// Consecutive failures per Tenant, shared by every worker of the process (one instance, in <see cref="TenantLifecycle"/>).
/// A failure that repeats past <see cref="Threshold"/> is shown (Ready=False with its reason); each distinct problem
/// (reason and message) of one incident is recorded in the catalog once. An incident ends with the Tenant's next
/// success. Memory only: after a restart an incident starts again, and the catalog's newest event guards against a
/// duplicate record.
/// </summary>
/// <remarks>The work queue never hands one key to two workers at once, so one Tenant's entry is never written concurrently.</remarks>
public sealed class TenantFailureTracker
{
    public const int DefaultThreshold = 3;

    private readonly ConcurrentDictionary<string, Incident> _incidents = new(StringComparer.Ordinal);

    public TenantFailureTracker(int threshold = DefaultThreshold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threshold, 1);
        Threshold = threshold;
    }

    /// <summary>How many consecutive failures make a transient failure visible.</summary>
    public int Threshold { get; }

    /// <summary>When the current incident of <paramref name="key"/> began; null when the Tenant is not failing.</summary>
    public DateTimeOffset? Since(string key) => _incidents.TryGetValue(key, out var incident) ? incident.Since : null;

    /// <summary>How many consecutive failures the current incident of <paramref name="key"/> has seen (0 when not failing).</summary>
    public int Count(string key) => _incidents.TryGetValue(key, out var incident) ? incident.Count : 0;

    /// <summary>Counts one more failure; returns whether it is to be shown now (a human must act, or it repeated past the threshold).</summary>
    public bool Failed(string key, TenantFailure failure, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var incident = _incidents.AddOrUpdate(key, _ => new Incident(1, now, []), (_, current) => current with { Count = current.Count + 1 });
        return failure.NeedsHuman || incident.Count >= Threshold;
    }

    /// <summary>True the first time this incident meets the problem (reason and message): the caller records it then.</summary>
    public bool FirstOccurrence(string key, TenantFailure failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        var problem = (failure.Reason, failure.Message);
        if (!_incidents.TryGetValue(key, out var incident) || incident.Recorded.Contains(problem))
        {
            return false;
        }

        _incidents[key] = incident with { Recorded = incident.Recorded.Add(problem) };
        return true;
    }

    /// <summary>The Tenant converged (or is gone): its incident ends.</summary>
    public void Succeeded(string key) => _incidents.TryRemove(key, out _);

    private sealed record Incident(int Count, DateTimeOffset Since, System.Collections.Immutable.ImmutableHashSet<(TenantReadyReason Reason, string Message)> Recorded);
}
