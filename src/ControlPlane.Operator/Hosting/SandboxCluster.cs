using System.Globalization;
using ControlPlane.Sandbox.KubeApi;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace ControlPlane.Operator.Hosting;

/// <summary>
/// The dev sandbox's Kubernetes API server: the project's own in-process server, loaded with the CRDs this build ships,
/// its objects saved under <c>.dev/kube</c> (tenants survive a restart), reachable through <c>.dev/kubeconfig</c>.
/// One process owns it (a lock file); another dev process finds it running and uses it as a client.
/// </summary>
internal sealed class SandboxCluster : IAsyncDisposable
{
    public const string ContextName = "econt-sandbox";

    /// <summary>Where the samples and the tenant Secrets live; the kubeconfig's default namespace, so `kubectl get tenants` shows them.</summary>
    public const string TenantNamespace = "econt-tenants";

    private static readonly string[] Namespaces = [TenantNamespace, "econt-system"];

    private readonly KubeApiServer? _server;
    private readonly FileStream? _lock;

    private SandboxCluster(KubeApiServer? server, FileStream? ownerLock, string kubeconfigPath, KubernetesClientConfiguration configuration)
    {
        _server = server;
        _lock = ownerLock;
        KubeconfigPath = kubeconfigPath;
        Configuration = configuration;
    }

    public string KubeconfigPath { get; }

    public KubernetesClientConfiguration Configuration { get; }

    /// <summary>True when this process started the server; false when it uses one another dev process runs.</summary>
    public bool Started => _server is not null;

    public Uri Address => new(Configuration.Host);

    /// <summary>Where the sandbox of this dev folder writes its kubeconfig.</summary>
    public static string KubeconfigOf(string devDirectory) => Path.Combine(devDirectory, "kubeconfig");

    public static async Task<SandboxCluster> StartAsync(string devDirectory, CancellationToken cancellationToken)
    {
        var data = Path.Combine(devDirectory, "kube");
        Directory.CreateDirectory(data);
        var kubeconfig = KubeconfigOf(devDirectory);
        FileStream ownerLock;
        try
        {
            ownerLock = new FileStream(Path.Combine(data, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException) when (File.Exists(kubeconfig))
        {
            // Another dev process owns the sandbox: two writers of one store would lose each other's objects.
            return new SandboxCluster(null, null, kubeconfig, KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        }

        KubeApiServer server;
        try
        {
            server = await StartServerAsync(data, cancellationToken);
        }
        catch
        {
            await ownerLock.DisposeAsync();
            throw;
        }

        server.WriteKubeconfig(kubeconfig, ContextName, TenantNamespace);
        var sandbox = new SandboxCluster(server, ownerLock, kubeconfig, server.ClientConfiguration());
        await sandbox.EnsureNamespacesAsync(cancellationToken);
        return sandbox;
    }

    /// <summary>Keeps the server on the same port across runs, so a kubeconfig exported in another terminal keeps working.</summary>
    private static async Task<KubeApiServer> StartServerAsync(string data, CancellationToken cancellationToken)
    {
        var portFile = Path.Combine(data, "port");
        var options = new KubeApiServerOptions
        {
            LoadRepositoryCrds = false,
            CrdDirectories = [ShippedCrds.Directory],
            DataDirectory = data,
        };
        KubeApiServer server;
        if (File.Exists(portFile) && int.TryParse(await File.ReadAllTextAsync(portFile, cancellationToken), CultureInfo.InvariantCulture, out var remembered))
        {
            try
            {
                server = await KubeApiServer.StartAsync(new KubeApiServerOptions
                {
                    LoadRepositoryCrds = false,
                    CrdDirectories = options.CrdDirectories,
                    DataDirectory = data,
                    Port = remembered,
                }, cancellationToken);
            }
            catch (IOException)
            {
                // The remembered port is taken by something else now; take a new one.
                server = await KubeApiServer.StartAsync(options, cancellationToken);
            }
        }
        else
        {
            server = await KubeApiServer.StartAsync(options, cancellationToken);
        }

        await File.WriteAllTextAsync(portFile, server.BaseUri.Port.ToString(CultureInfo.InvariantCulture), cancellationToken);
        return server;
    }

    private async Task EnsureNamespacesAsync(CancellationToken cancellationToken)
    {
        using var client = new Kubernetes(Configuration);
        foreach (var name in Namespaces)
        {
            try
            {
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = name } }, cancellationToken: cancellationToken);
            }
            catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.Conflict)
            {
                // Kept from the last run.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_lock is not null)
        {
            await _lock.DisposeAsync();
        }
    }
}
