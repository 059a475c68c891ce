using System.Runtime.CompilerServices;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Runtime;

/// <summary>
/// An in-memory API for informer unit tests: LIST returns <see cref="World"/> at <see cref="ResourceVersion"/>;
/// each WATCH call plays the next script (events, then an optional exception), or, when scripts run out, throws
/// <see cref="EveryWatchFails"/> if set, else ends at once. Every call is logged with the time on the given clock.
/// </summary>
internal sealed class ScriptedTenantClient(TimeProvider? clock = null) : IResourceClient<Tenant>
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    private int _watches;
    private int _lists;

    public List<Tenant> World { get; } = [];

    public string ResourceVersion { get; set; } = "1";

    public Queue<(WatchEvent<Tenant>[] Events, Exception? End)> Scripts { get; } = new();

    public int Watches => Volatile.Read(ref _watches);

    /// <summary>What a watch without a script throws (e.g. a 500 on every watch request); null ends it at once.</summary>
    public Exception? EveryWatchFails { get; set; }

    /// <summary>Each LIST and WATCH call with the clock's time, in call order.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(string Verb, DateTimeOffset At)> Calls { get; } = new();

    public int Lists => Volatile.Read(ref _lists);

    /// <summary>When set, every LIST waits for it after being counted (to hold an informer before its first list completes).</summary>
    public TaskCompletionSource? ListGate { get; set; }

    public static Tenant Tenant(string name, string resourceVersion) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "tenants", ResourceVersion = resourceVersion } };

    public async Task<ResourcePage<Tenant>> ListAsync(string? @namespace, string? continueToken, int limit, CancellationToken cancellationToken)
    {
        Calls.Enqueue(("list", _clock.GetUtcNow()));
        Interlocked.Increment(ref _lists);
        if (ListGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        return new ResourcePage<Tenant>([.. World], ResourceVersion, null);
    }

    public async IAsyncEnumerable<WatchEvent<Tenant>> WatchAsync(
        string? @namespace, string resourceVersion, TimeSpan timeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Calls.Enqueue(("watch", _clock.GetUtcNow()));
        Interlocked.Increment(ref _watches);
        await Task.Yield();
        if (!Scripts.TryDequeue(out var script))
        {
            if (EveryWatchFails is not null)
            {
                throw EveryWatchFails;
            }

            yield break;
        }

        foreach (var change in script.Events)
        {
            yield return change;
        }

        if (script.End is not null)
        {
            throw script.End;
        }
    }

    public Task<Tenant?> GetAsync(string @namespace, string name, CancellationToken cancellationToken) =>
        Task.FromResult(World.FirstOrDefault(t => t.Metadata.Name == name));

    public Task<Tenant> ReplaceAsync(Tenant resource, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<Tenant> ReplaceStatusAsync(Tenant resource, CancellationToken cancellationToken) => throw new NotSupportedException();
}
