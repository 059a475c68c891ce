using ControlPlane.Operator.Provisioning;
using Microsoft.Extensions.Time.Testing;

namespace ControlPlane.Operator.Tests.Limits;

/// <summary>The per-server slots alone: the limit, the line (first come, first served, no overtaking), wakes and stale places.</summary>
public sealed class ServerOperationSlotsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 5, 1, 9, 0, 0, TimeSpan.Zero));
    private readonly List<string> _woken = [];

    [Fact]
    public void No_more_than_the_limit_run_at_once_and_a_refused_key_waits_in_line()
    {
        var slots = new ServerOperationSlots(2, _time);

        using var a = slots.TryEnter("a", Wake("a"));
        using var b = slots.TryEnter("b", Wake("b"));
        var c = slots.TryEnter("c", Wake("c"));

        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Null(c);
        Assert.Equal((2, 1), (slots.InFlight, slots.Waiting));
        Assert.Equal(0, slots.PlaceOf("c"));
    }

    [Fact]
    public void A_freed_slot_wakes_the_first_in_line_and_is_kept_for_it_against_newcomers()
    {
        var slots = new ServerOperationSlots(1, _time);
        var running = slots.TryEnter("a", Wake("a"))!;
        Assert.Null(slots.TryEnter("b", Wake("b")));
        Assert.Null(slots.TryEnter("c", Wake("c")));

        running.Dispose();

        Assert.Equal(["b"], _woken);
        Assert.Null(slots.TryEnter("newcomer", Wake("newcomer")));
        Assert.Null(slots.TryEnter("c", Wake("c")));
        using var b = slots.TryEnter("b", Wake("b"));
        Assert.NotNull(b);
        Assert.Equal((1, 2), (slots.InFlight, slots.Waiting));
        Assert.Equal(0, slots.PlaceOf("c"));
        Assert.Equal(1, slots.PlaceOf("newcomer"));
    }

    [Fact]
    public void Asking_again_keeps_the_place_in_line()
    {
        var slots = new ServerOperationSlots(1, _time);
        using var running = slots.TryEnter("a", Wake("a"));
        Assert.Null(slots.TryEnter("b", Wake("b")));
        Assert.Null(slots.TryEnter("c", Wake("c")));

        Assert.Null(slots.TryEnter("c", Wake("c")));
        Assert.Null(slots.TryEnter("b", Wake("b")));

        Assert.Equal((0, 1), (slots.PlaceOf("b"), slots.PlaceOf("c")));
    }

    [Fact]
    public void A_key_that_stops_asking_loses_its_place_so_the_line_never_stalls()
    {
        var slots = new ServerOperationSlots(1, _time);
        var running = slots.TryEnter("a", Wake("a"))!;
        Assert.Null(slots.TryEnter("gone", Wake("gone")));
        _time.Advance(ServerOperationSlots.StaleAfter / 2);
        Assert.Null(slots.TryEnter("b", Wake("b")));

        _time.Advance(ServerOperationSlots.StaleAfter / 2 + TimeSpan.FromSeconds(1));
        running.Dispose();

        Assert.Equal(["b"], _woken);
        Assert.Null(slots.PlaceOf("gone"));
        using var b = slots.TryEnter("b", Wake("b"));
        Assert.NotNull(b);
    }

    [Fact]
    public void A_key_that_leaves_the_line_hands_the_slot_kept_for_it_to_the_next()
    {
        var slots = new ServerOperationSlots(1, _time);
        var running = slots.TryEnter("a", Wake("a"))!;
        Assert.Null(slots.TryEnter("refused", Wake("refused")));
        Assert.Null(slots.TryEnter("b", Wake("b")));
        running.Dispose();
        Assert.Equal(["refused"], _woken);

        slots.Leave("refused");
        slots.Leave("never-waited");

        Assert.Equal(["refused", "b"], _woken);
        using var b = slots.TryEnter("b", Wake("b"));
        Assert.NotNull(b);
    }

    [Fact]
    public void Disposing_a_slot_twice_frees_it_once()
    {
        var slots = new ServerOperationSlots(2, _time);
        var a = slots.TryEnter("a", Wake("a"))!;
        using var b = slots.TryEnter("b", Wake("b"));

        a.Dispose();
        a.Dispose();

        Assert.Equal(1, slots.InFlight);
    }

    [Fact]
    public void Without_a_line_a_free_slot_goes_to_whoever_asks()
    {
        var slots = new ServerOperationSlots(3, _time);

        var entered = Enumerable.Range(0, 5).Select(i => slots.TryEnter($"k{i}", Wake($"k{i}"))).ToList();

        Assert.Equal(3, entered.Count(s => s is not null));
        Assert.Equal(["k0", "k1", "k2"], entered.Select((s, i) => (s, i)).Where(p => p.s is not null).Select(p => $"k{p.i}"));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ServerOperationSlots(0, _time));
    }

    private Action Wake(string key) => () => _woken.Add(key);
}
