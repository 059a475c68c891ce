using System.Threading.Channels;

namespace ControlPlane.Runtime;

/// <summary>
/// A de-duplicating work queue with the semantics of client-go's workqueue:
/// <list type="bullet">
/// <item>a key waits in the queue at most once, however often it is added;</item>
/// <item>a key handed to a worker is not handed to another until <see cref="Done"/>; adds meanwhile mark it dirty and it
/// comes back once, after <see cref="Done"/> (so the same key is never processed concurrently and no change is lost);</item>
/// <item>per-key exponential backoff (<see cref="AddRateLimited"/>) reset by <see cref="Forget"/>; delayed adds via the
/// injected <see cref="TimeProvider"/>.</item>
/// </list>
/// Parallelism is bounded by the number of workers calling <see cref="GetAsync"/>.
/// </summary>
public sealed class WorkQueue<TKey> : IDisposable
    where TKey : notnull
{
    private readonly Lock _lock = new();
    private readonly Channel<TKey> _ready = Channel.CreateUnbounded<TKey>();
    private readonly HashSet<TKey> _queued = [];
    private readonly HashSet<TKey> _processing = [];
    private readonly HashSet<TKey> _dirty = [];
    private readonly Dictionary<TKey, int> _failures = [];
    private readonly Dictionary<TKey, (DateTimeOffset Due, ITimer Timer)> _delayed = [];
    private readonly TimeProvider _time;
    private readonly Backoff _backoff;
    private bool _shutDown;

    public WorkQueue(TimeProvider time, Backoff backoff)
    {
        _time = time;
        _backoff = backoff;
    }

    /// <summary>Keys waiting for a worker (not counting those being processed or delayed).</summary>
    public int Depth
    {
        get
        {
            lock (_lock)
            {
                return _queued.Count;
            }
        }
    }

    /// <summary>Raised with the key whenever <see cref="AddRateLimited"/> schedules a retry.</summary>
    public event Action<TKey>? Retried;

    public void Add(TKey key)
    {
        lock (_lock)
        {
            if (_shutDown)
            {
                return;
            }

            if (_processing.Contains(key))
            {
                _dirty.Add(key);
                return;
            }

            if (_queued.Add(key))
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    /// <summary>Adds the key after <paramref name="delay"/>; an earlier pending delayed add for the key wins.</summary>
    public void AddAfter(TKey key, TimeSpan delay)
    {
        if (delay <= TimeSpan.Zero)
        {
            Add(key);
            return;
        }

        var due = _time.GetUtcNow() + delay;
        lock (_lock)
        {
            if (_shutDown || (_delayed.TryGetValue(key, out var pending) && pending.Due <= due))
            {
                return;
            }

            pending.Timer?.Dispose();
            var timer = _time.CreateTimer(_ => FireDelayed(key, due), null, delay, Timeout.InfiniteTimeSpan);
            _delayed[key] = (due, timer);
        }
    }

    /// <summary>Re-adds the key after its next exponential backoff delay; returns that delay.</summary>
    public TimeSpan AddRateLimited(TKey key)
    {
        int failures;
        lock (_lock)
        {
            failures = _failures[key] = _failures.GetValueOrDefault(key) + 1;
        }

        var delay = _backoff.Delay(failures);
        Retried?.Invoke(key);
        AddAfter(key, delay);
        return delay;
    }

    /// <summary>How many consecutive failures the key has had since the last <see cref="Forget"/>.</summary>
    public int Failures(TKey key)
    {
        lock (_lock)
        {
            return _failures.GetValueOrDefault(key);
        }
    }

    /// <summary>Resets the key's backoff (after a success or a terminal error).</summary>
    public void Forget(TKey key)
    {
        lock (_lock)
        {
            _failures.Remove(key);
        }
    }

    /// <summary>Waits for a key; the caller owns it until <see cref="Done"/>.</summary>
    public async ValueTask<TKey> GetAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var key = await _ready.Reader.ReadAsync(cancellationToken);
            lock (_lock)
            {
                if (_queued.Remove(key))
                {
                    _processing.Add(key);
                    return key;
                }
            }
        }
    }

    /// <summary>Releases the key; if it was added while being processed it is queued again.</summary>
    public void Done(TKey key)
    {
        lock (_lock)
        {
            _processing.Remove(key);
            if (_dirty.Remove(key) && !_shutDown && _queued.Add(key))
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    /// <summary>Stops accepting keys; pending delayed adds are dropped and waiting workers end.</summary>
    public void ShutDown()
    {
        lock (_lock)
        {
            _shutDown = true;
            foreach (var (_, timer) in _delayed.Values)
            {
                timer.Dispose();
            }

            _delayed.Clear();
            _ready.Writer.TryComplete();
        }
    }

    public void Dispose() => ShutDown();

    private void FireDelayed(TKey key, DateTimeOffset due)
    {
        lock (_lock)
        {
            if (!_delayed.TryGetValue(key, out var pending) || pending.Due != due)
            {
                return;
            }

            _delayed.Remove(key);
            pending.Timer.Dispose();
        }

        Add(key);
    }
}
