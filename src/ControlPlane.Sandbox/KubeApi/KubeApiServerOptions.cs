using System.Security.Cryptography.X509Certificates;

namespace ControlPlane.Sandbox.KubeApi;

/// <summary>How to start a <see cref="KubeApiServer"/>.</summary>
public sealed class KubeApiServerOptions
{
    /// <summary>
    /// Load every <c>config/crds/*.yaml</c> of the repository (found by walking up from <see cref="RepositorySearchStart"/>
    /// to the directory holding ControlPlane.sln). A missing or empty directory serves no custom resources. Default true.
    /// </summary>
    public bool LoadRepositoryCrds { get; init; } = true;

    /// <summary>Where the walk up to the repository root starts; default the test assembly's directory.</summary>
    public string RepositorySearchStart { get; init; } = AppContext.BaseDirectory;

    /// <summary>Further directories whose <c>*.yaml</c> CustomResourceDefinitions are served too.</summary>
    public IReadOnlyList<string> CrdDirectories { get; init; } = [];

    /// <summary>How many changes the watch history keeps; a watch from before them gets 410 Expired. Default 1000.</summary>
    public int HistoryLimit { get; init; } = 1000;

    /// <summary>How long a watch with <c>allowWatchBookmarks=true</c> stays idle before a BOOKMARK is sent. Default 1 s.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Port on 127.0.0.1; 0 (the default) takes a free one.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Folder where every object is saved on every write and loaded from at start (the sandbox's state survives a restart);
    /// null (the default) keeps everything in memory.
    /// </summary>
    public string? DataDirectory { get; init; }

    /// <summary>Who may do what: <see cref="KubeApiAuthorization.AllowAll"/> (the default) or RBAC as a real cluster enforces it.</summary>
    public KubeApiAuthorization Authorization { get; init; } = KubeApiAuthorization.AllowAll;

    /// <summary>
    /// Serve HTTPS with this certificate (it must hold its private key). kubectl sends a kubeconfig's credentials only over
    /// TLS, so a test that runs kubectl as a user with <see cref="KubeApiAuthorization.Rbac"/> needs it. Null (the default): plain HTTP.
    /// </summary>
    public X509Certificate2? ServerCertificate { get; init; }

    /// <summary>The authority that issued <see cref="ServerCertificate"/>: trusted by the clients and kubeconfigs the server hands out.</summary>
    public X509Certificate2? CertificateAuthority { get; init; }

    /// <summary>The clock for creationTimestamp and deletionTimestamp.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
