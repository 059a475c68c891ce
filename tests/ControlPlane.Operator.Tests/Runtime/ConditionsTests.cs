using ControlPlane.Runtime;

namespace ControlPlane.Operator.Tests.Runtime;

public sealed class ConditionsTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 10, 0, 0, 500, TimeSpan.Zero);

    [Fact]
    public void Reasserting_the_same_status_keeps_lastTransitionTime_while_a_flip_moves_it()
    {
        var first = Conditions.Set(null, "Ready", Conditions.False, "AwaitingProvisioner", "m1", 1, T0);
        var same = Conditions.Set(first, "Ready", Conditions.False, "InvalidSpec", "m2", 2, T0.AddHours(1));
        var flipped = Conditions.Set(same, "Ready", Conditions.True, "Provisioned", "m3", 3, T0.AddHours(2));

        Assert.Equal(new DateTime(2026, 1, 1, 10, 0, 0, DateTimeKind.Utc), first.Single().LastTransitionTime);
        Assert.Equal(first.Single().LastTransitionTime, same.Single().LastTransitionTime);
        Assert.Equal(("InvalidSpec", "m2", 2L), (same.Single().Reason, same.Single().Message, same.Single().ObservedGeneration!.Value));
        Assert.Equal(new DateTime(2026, 1, 1, 12, 0, 0, DateTimeKind.Utc), flipped.Single().LastTransitionTime);
    }

    [Fact]
    public void Setting_one_type_leaves_the_others_and_does_not_mutate_the_input()
    {
        var both = Conditions.Set(Conditions.Set(null, "Ready", Conditions.False, "A", "a", 1, T0), "Degraded", Conditions.True, "B", "b", 1, T0);
        var updated = Conditions.Set(both, "Ready", Conditions.True, "C", "c", 2, T0);

        Assert.Equal(["Ready", "Degraded"], updated.Select(c => c.Type));
        Assert.Equal("A", both[0].Reason);
        Assert.Equal("B", updated[1].Reason);
    }
}
