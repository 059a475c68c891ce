using ControlPlane.Operator.Controllers;
using Reasons = ControlPlane.Operator.Api.V1Alpha1.TenantReadyReason;

namespace ControlPlane.Operator.Tests.Controllers;

public sealed class TenantFailureTrackerTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly TenantFailure Down = new(Reasons.DatabaseServerUnavailable, "server 'default' unreachable", FailureRetry.Backoff);
    private static readonly TenantFailure Denied = new(Reasons.DatabasePermissionDenied, "admin lacks CREATEROLE", FailureRetry.Backoff);

    [Fact]
    public void A_transient_failure_is_shown_only_once_it_repeats_to_the_threshold()
    {
        var tracker = new TenantFailureTracker(threshold: 3);

        var shown = Enumerable.Range(0, 4).Select(i => tracker.Failed("t/acme/1", Down, Start.AddSeconds(i))).ToList();

        Assert.Equal([false, false, true, true], shown);
        Assert.Equal((4, Start), (tracker.Count("t/acme/1"), tracker.Since("t/acme/1")));
    }

    [Fact]
    public void A_failure_a_human_must_resolve_is_shown_at_once()
    {
        var tracker = new TenantFailureTracker(threshold: 3);

        Assert.True(tracker.Failed("t/acme/1", new TenantFailure(Reasons.SlugConflict, "taken", FailureRetry.Recheck), Start));
    }

    [Fact]
    public void Each_distinct_problem_of_an_incident_is_recorded_once_and_a_success_ends_the_incident()
    {
        var tracker = new TenantFailureTracker(threshold: 1);
        tracker.Failed("t/acme/1", Down, Start);

        var first = tracker.FirstOccurrence("t/acme/1", Down);
        tracker.Failed("t/acme/1", Denied, Start);
        var other = tracker.FirstOccurrence("t/acme/1", Denied);
        tracker.Failed("t/acme/1", Down, Start);
        var again = tracker.FirstOccurrence("t/acme/1", Down);
        tracker.Succeeded("t/acme/1");
        tracker.Failed("t/acme/1", Down, Start.AddHours(1));
        var nextIncident = tracker.FirstOccurrence("t/acme/1", Down);

        Assert.Equal((true, true, false, true), (first, other, again, nextIncident));
        Assert.Equal(Start.AddHours(1), tracker.Since("t/acme/1"));
    }

    [Fact]
    public void Tenants_are_counted_apart()
    {
        var tracker = new TenantFailureTracker(threshold: 2);
        tracker.Failed("t/acme/1", Down, Start);

        Assert.False(tracker.Failed("t/beta/2", Down, Start));
        Assert.True(tracker.Failed("t/acme/1", Down, Start));
        Assert.Null(tracker.Since("t/gamma/3"));
    }
}
