namespace ControlPlane.Operator.Provisioning;

/// <summary>
/// The operation slots of one tenant database server (<c>maxConcurrentOperations</c>): every reconcile that works on the
/// server (provisioning, resync and drift repair, migration, including those a SchemaRollout asks for, rotation, deletion)
/// holds one for its whole server phase, so at most <see cref="Limit"/> of them run there at once, across every worker.
/// <para>
/// Never blocking: <see cref="TryEnter"/> answers at once, so a worker is never parked on a busy server while Tenants of
/// other servers wait in the queue. A refused key joins the server's line (first come, first served); when a slot
/// frees, the first keys of the line are woken through the callback they left (the Tenant work queue), and a free slot
/// goes only to a key no later in the line than the number of free slots, so newcomers cannot overtake. A key whose
/// reconcile no longer needs the server <see cref="Leave"/>s the line; one that just stops asking (its Tenant gone from
/// the cluster) loses its place after <see cref="StaleAfter"/>, so the line never stalls.
/// </para>
/// </summary>
public sealed class ServerOperationSlots
{
    /// <summary>How long a key keeps its place in line without asking again (the reconciler re-asks well within this).</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly List<Waiter> _line = [];
    private readonly TimeProvider _time;
    private int _inFlight;

    public ServerOperationSlots(int limit, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>How many operations may run on the server at once.</summary>
    public int Limit { get; }

    /// <summary>Operations running on the server now (the <c>controlplane_server_operations_in_flight</c> gauge).</summary>
    public int InFlight
    {
        get
        {
            lock (_lock)
            {
                return _inFlight;
            }
        }
    }

    /// <summary>Keys in line for a slot (the <c>controlplane_server_operations_waiting</c> gauge).</summary>
    public int Waiting
    {
        get
        {
            lock (_lock)
            {
                Prune(_time.GetUtcNow());
                return _line.Count;
            }
        }
    }

    /// <summary>
    /// A slot for <paramref name="key"/> if one is free for it; otherwise null, and the key is in line (its place kept)
    /// with <paramref name="wake"/> to be called once a slot frees for it. Dispose the slot when the server work is done.
    /// </summary>
    public ServerOperationSlot? TryEnter(string key, Action wake)
    {
        ArgumentNullException.ThrowIfNull(key);
        ArgumentNullException.ThrowIfNull(wake);
        lock (_lock)
        {
            var now = _time.GetUtcNow();
            Prune(now);
            var place = _line.FindIndex(w => w.Key == key);
            var ahead = place < 0 ? _line.Count : place;
            if (Limit - _inFlight > ahead)
            {
                if (place >= 0)
                {
                    _line.RemoveAt(place);
                }

                _inFlight++;
                return new ServerOperationSlot(this);
            }

            if (place < 0)
            {
                _line.Add(new Waiter(key, wake, now));
            }
            else
            {
                _line[place] = new Waiter(key, wake, now);
            }

            return null;
        }
    }

    /// <summary>
    /// Takes the key out of line (its reconcile no longer needs this server: refused, moved elsewhere, deleted), so a slot
    /// kept for it goes to the next in line now rather than after <see cref="StaleAfter"/>.
    /// </summary>
    public void Leave(string key)
    {
        List<Action> wake;
        lock (_lock)
        {
            var place = _line.FindIndex(w => w.Key == key);
            if (place < 0)
            {
                return;
            }

            // Only a key a free slot was kept for hands one on; one further back frees nothing.
            _line.RemoveAt(place);
            wake = place < Limit - _inFlight ? [.. _line.Take(Limit - _inFlight).Select(w => w.Wake)] : [];
        }

        foreach (var action in wake)
        {
            action();
        }
    }

    /// <summary>The key's place in line (0 first), or null when it is not waiting.</summary>
    public int? PlaceOf(string key)
    {
        lock (_lock)
        {
            var place = _line.FindIndex(w => w.Key == key);
            return place < 0 ? null : place;
        }
    }

    internal void Release()
    {
        List<Action> wake;
        lock (_lock)
        {
            _inFlight--;
            Prune(_time.GetUtcNow());

            // Every key that a free slot is now kept for; waking one already woken is harmless (the queue de-duplicates).
            wake = [.. _line.Take(Limit - _inFlight).Select(w => w.Wake)];
        }

        // Outside the lock: the callback enqueues into the work queue, which has a lock of its own.
        foreach (var action in wake)
        {
            action();
        }
    }

    private void Prune(DateTimeOffset now) => _line.RemoveAll(w => now - w.LastAsked > StaleAfter);

    private sealed record Waiter(string Key, Action Wake, DateTimeOffset LastAsked);
}

/// <summary>One running operation on a server; disposing it frees the slot and wakes the next in line.</summary>
public sealed class ServerOperationSlot : IDisposable
{
    private ServerOperationSlots? _slots;

    internal ServerOperationSlot(ServerOperationSlots slots) => _slots = slots;

    public void Dispose() => Interlocked.Exchange(ref _slots, null)?.Release();
}
