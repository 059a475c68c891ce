using System.Runtime.CompilerServices;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Runtime;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Runtime;

/// <summary>
/// An in-memory API for informer unit tests: LIST returns <see cref="World"/> at <see cref="ResourceVersion"/>;
/// each WATCH call plays the next script (events, then an optional exception), or ends at once when scripts run out.
/// </summary>
internal sealed class ScriptedTenantClient : IResourceClient<Tenant>
{
    private int _watches;
    private int _lists;

    public List<Tenant> World { get; } = [];

    public string ResourceVersion { get; set; } = "1";

    public Queue<(WatchEvent<Tenant>[] Events, Exception? End)> Scripts { get; } = new();

    public int Watches => Volatile.Read(ref _watches);

    public int Lists => Volatile.Read(ref _lists);

    public static Tenant Tenant(string name, string resourceVersion) =>
        new() { Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "tenants", ResourceVersion = resourceVersion } };

    public Task<ResourcePage<Tenant>> ListAsync(string? @namespace, string? continueToken, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _lists);
        return Task.FromResult(new ResourcePage<Tenant>([.. World], ResourceVersion, null));
    }

    public async IAsyncEnumerable<WatchEvent<Tenant>> WatchAsync(
        string? @namespace, string resourceVersion, TimeSpan timeout, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watches);
        await Task.Yield();
        if (!Scripts.TryDequeue(out var script))
        {
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
