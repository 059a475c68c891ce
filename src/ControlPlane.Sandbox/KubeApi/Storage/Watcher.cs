using System.Text.Json.Nodes;
using System.Threading.Channels;
using ControlPlane.Sandbox.KubeApi.Selectors;

namespace ControlPlane.Sandbox.KubeApi.Storage;

/// <summary>An open watch: which objects it sees and the queue of frames its HTTP stream writes out.</summary>
internal sealed class Watcher(string storageKey, string? ns, LabelSelector labels, FieldSelector fields) : IDisposable
{
    private readonly Channel<WatchFrame> _frames = Channel.CreateUnbounded<WatchFrame>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _dropped = new();

    public string StorageKey { get; } = storageKey;

    public ChannelReader<WatchFrame> Frames => _frames.Reader;

    /// <summary>Cancelled when a test drops open watches.</summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>True when the drop should reset the connection instead of ending the stream cleanly.</summary>
    public bool AbortConnection { get; private set; }

    public bool Sees(JsonObject obj) =>
        (ns is null || (string?)obj["metadata"]?["namespace"] == ns) && labels.Matches(obj) && fields.Matches(obj);

    /// <summary>
    /// Translates a change into what this watcher sees, as the watch cache does with selectors: an object that starts
    /// matching arrives as ADDED, one that stops matching as DELETED.
    /// </summary>
    public void Offer(WatchEvent change)
    {
        var now = Sees(change.Object);
        var before = change.Previous is not null && Sees(change.Previous);
        var type = change.Type switch
        {
            "ADDED" when now => "ADDED",
            "MODIFIED" when now && before => "MODIFIED",
            "MODIFIED" when now => "ADDED",
            "MODIFIED" when before => "DELETED",
            "DELETED" when now || before => "DELETED",
            _ => null,
        };
        if (type is not null)
        {
            Enqueue(new WatchFrame(type, change.Object));
        }
    }

    public void Enqueue(WatchFrame frame) => _frames.Writer.TryWrite(frame);

    public void Drop(bool abortConnection)
    {
        AbortConnection = abortConnection;
        _dropped.Cancel();
    }

    public void Dispose() => _dropped.Dispose();
}
