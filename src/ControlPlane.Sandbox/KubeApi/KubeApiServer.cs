using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Faults;
using ControlPlane.Sandbox.KubeApi.Http;
using ControlPlane.Sandbox.KubeApi.Http.Rbac;
using ControlPlane.Sandbox.KubeApi.Resources;
using ControlPlane.Sandbox.KubeApi.Storage;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;

namespace ControlPlane.Sandbox.KubeApi;

/// <summary>
/// An in-process Kubernetes API server for tests: Kestrel on 127.0.0.1 (a free port) speaking kube-apiserver's HTTP/JSON
/// protocol for the custom resources of config/crds and the built-in kinds the operator uses. See README.md for exactly what
/// is implemented.
/// </summary>
/// <example>
/// <code>
/// await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdDirectories = [dir] });
/// var client = server.CreateClient();
/// </code>
/// </example>
public sealed class KubeApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ObjectStore _store;
    private readonly ResourceRegistry _registry;
    private readonly RequestHandler _handler;
    private readonly FaultInjector _faults;
    private readonly TokenReviews _tokens;
    private readonly CancellationTokenSource _stopping = new();
    private readonly X509Certificate2? _authority;
    private long _latencyTicks;

    private KubeApiServer(KubeApiServerOptions options, ResourceRegistry registry)
    {
        _registry = registry;
        _authority = options.CertificateAuthority;
        _store = new ObjectStore(options.HistoryLimit, options.DataDirectory is { } data ? new StoreFile(Path.Combine(data, "objects.json")) : null);

        // CRDs are rebuilt from the files at every start, as if config/crds had just been applied again.
        _store.Forget(BuiltInResources.CustomResourceDefinitions.StorageKey);
        _faults = new FaultInjector();
        _tokens = new TokenReviews();
        _tokens.Register(AdminToken, AdminToken, [UserInfo.Masters], AdminToken);
        var writes = new ObjectWrites(_store, registry, options.TimeProvider);
        _handler = new RequestHandler(registry, _store, writes, new WatchStream(_store, options.BookmarkInterval, options.TimeProvider), _tokens, _faults,
            () => Latency, options.TimeProvider, options.Authorization == KubeApiAuthorization.Rbac ? new RbacAuthorizer(_store) : null, _stopping.Token);

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port, listen =>
        {
            if (options.ServerCertificate is { } certificate)
            {
                // HTTP/1.1 only, as without TLS: watch streams and connection resets behave the same either way.
                listen.Protocols = HttpProtocols.Http1;
                listen.UseHttps(certificate);
            }
        }));
        builder.Services.AddRoutingCore();
        _app = builder.Build();
        _app.Run(_handler.HandleAsync);

        foreach (var ns in new[] { "default", "kube-system", "kube-public", "kube-node-lease" }
                     .Where(ns => _store.Get(BuiltInResources.Namespaces.StorageKey, string.Empty, ns) is null))
        {
            writes.Create(
                new ApiRoute(BuiltInResources.Namespaces, "v1", null, null, null),
                new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        }

        foreach (var type in registry.Types.Where(t => t.Definition is not null))
        {
            writes.Create(new ApiRoute(BuiltInResources.CustomResourceDefinitions, "v1", null, null, null), EstablishedCrd.From(type));
        }
    }

    /// <summary>
    /// The bearer token of the cluster administrator (group <c>system:masters</c>): what <see cref="CreateClient"/> and
    /// <see cref="WriteKubeconfig"/> use, so they keep working under <see cref="KubeApiAuthorization.Rbac"/>.
    /// </summary>
    public const string AdminToken = "kube-api-test";

    /// <summary>The audience a bound token must carry for this server to accept it (as a cluster's default service-account audience).</summary>
    public const string ApiAudience = RequestHandler.ApiAudience;

    /// <summary>The server's base address, <c>http://127.0.0.1:PORT/</c> (https with <see cref="KubeApiServerOptions.ServerCertificate"/>).</summary>
    public Uri BaseUri { get; private set; } = null!;

    /// <summary>Custom resources served, as <c>plural.group</c> (e.g. <c>tenants.controlplane.econt.io</c>).</summary>
    public IReadOnlyList<string> CustomResources => _registry.Types.Where(t => t.IsCustom).Select(t => t.GroupResource).ToList();

    /// <summary>Delay added before every request is served (fault injection). Zero by default.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    /// <summary>The cluster-wide resourceVersion of the last write.</summary>
    public long CurrentResourceVersion => _store.CurrentResourceVersion;

    /// <summary>How many watch streams are open now.</summary>
    public int OpenWatches => _store.OpenWatches;

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> RequestLog => _handler.Log.ToArray();

    /// <summary>Loads the CRDs and starts listening.</summary>
    public static async Task<KubeApiServer> StartAsync(KubeApiServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new KubeApiServerOptions();
        var directories = new List<string>();
        if (options.LoadRepositoryCrds && RepositoryCrds.FindDirectory(options.RepositorySearchStart) is { } repositoryCrds)
        {
            directories.Add(repositoryCrds);
        }

        directories.AddRange(options.CrdDirectories);
        var registry = new ResourceRegistry(BuiltInResources.All.Concat(directories.SelectMany(CrdLoader.LoadDirectory)));
        var server = new KubeApiServer(options, registry);
        await server._app.StartAsync(cancellationToken);
        var address = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseUri = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>A KubernetesClient pointed at this server (plain HTTP) as the cluster administrator, or as <paramref name="token"/>.</summary>
    public Kubernetes CreateClient(string token = AdminToken) => new(ClientConfiguration(token));

    /// <summary>The client configuration <see cref="CreateClient"/> uses, for callers that build their own client.</summary>
    public KubernetesClientConfiguration ClientConfiguration(string token = AdminToken) => new()
    {
        Host = BaseUri.ToString().TrimEnd('/'),
        AccessToken = token,
        SslCaCerts = _authority is null ? null : new X509Certificate2Collection(_authority),
    };

    /// <summary>Writes a kubeconfig (context <paramref name="context"/>, namespace <paramref name="ns"/>) that points kubectl or a child process here.</summary>
    public void WriteKubeconfig(string path, string context = "kube-api-test", string ns = "default", string token = AdminToken)
    {
        var server = BaseUri.ToString().TrimEnd('/');
        var authority = _authority is null
            ? string.Empty
            : "\n    certificate-authority-data: " + Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_authority.ExportCertificatePem()));
        File.WriteAllText(path, $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: {context}
              cluster:
                server: {server}{authority}
            users:
            - name: {context}
              user:
                token: {token}
            contexts:
            - name: {context}
              context:
                cluster: {context}
                user: {context}
                namespace: {ns}
            current-context: {context}

            """);
    }

    /// <summary>Ends every open watch stream now; with <paramref name="abortConnections"/> the connections are reset instead of closed cleanly.</summary>
    /// <returns>How many watches were dropped.</returns>
    public int DropWatches(bool abortConnections = false) => _store.DropWatches(abortConnections);

    /// <summary>Forgets the watch history: a watch (or list continue) from any resourceVersion before now gets 410 Expired.</summary>
    public void CompactHistory() => _store.CompactHistory();

    /// <summary>
    /// Answers the next <paramref name="count"/> requests whose Kubernetes verb (get, list, watch, create, update, patch, delete,
    /// deletecollection, or * for any) and path match with <paramref name="statusCode"/> and a Status body. The path pattern is a
    /// glob where <c>*</c> matches anything, e.g. <c>/apis/controlplane.econt.io/v1alpha1/namespaces/*/tenants/*/status</c>.
    /// </summary>
    public void FailNext(string verb, string pathPattern, int statusCode, int count = 1, TimeSpan? retryAfter = null) =>
        _faults.Add(verb, pathPattern, statusCode, count, retryAfter);

    /// <summary>How many requests so far had this verb (or *) and a path matching the glob.</summary>
    public int CountRequests(string verb, string pathPattern)
    {
        var regex = PathPattern.Compile(pathPattern);
        return RequestLog.Count(r => (verb == "*" || string.Equals(r.Verb, verb, StringComparison.OrdinalIgnoreCase)) && regex.IsMatch(r.Path));
    }

    /// <summary>Registers a bearer token that TokenReviews will authenticate as the given user.</summary>
    public void RegisterToken(string token, string username, IReadOnlyList<string>? groups = null, string? uid = null, IReadOnlyList<string>? audiences = null) =>
        _tokens.Register(token, username, groups ?? [], uid ?? Guid.NewGuid().ToString(), audiences);

    /// <summary>An object exactly as stored (in <paramref name="version"/>), or null. Group "" is the core group; ns null for cluster scope.</summary>
    public JsonObject? GetStored(string group, string version, string plural, string? ns, string name)
    {
        var type = Find(group, version, plural);
        return _store.Get(type.StorageKey, ns ?? string.Empty, name) is { } stored ? ObjectShape.Render(stored, type, version) : null;
    }

    /// <summary>All stored objects of a resource, in (namespace, name) order; <paramref name="ns"/> null means every namespace.</summary>
    public IReadOnlyList<JsonObject> ListStored(string group, string version, string plural, string? ns = null)
    {
        var type = Find(group, version, plural);
        return _store.List(type.StorageKey, ns).Items.Select(o => ObjectShape.Render(o, type, version)).ToList();
    }

    /// <summary>The core/v1 Events stored, optionally in one namespace.</summary>
    public IReadOnlyList<JsonObject> ListEvents(string? ns = null) => ListStored(string.Empty, "v1", "events", ns);

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _store.DropWatches(abortConnections: false);
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        _stopping.Dispose();
    }

    private ResourceType Find(string group, string version, string plural) =>
        _registry.Find(group, version, plural)
        ?? throw new ArgumentException($"no resource {plural} in {group}/{version} is served", nameof(plural));

}
