using System.Security.Cryptography.X509Certificates;
using ControlPlane.Sandbox.KubeApi;

namespace ControlPlane.Testing;

/// <summary>
/// The in-process API server as a real cluster meets a user: HTTPS with a throw-away CA (kubectl sends a kubeconfig's token
/// only over TLS) and <see cref="KubeApiAuthorization.Rbac"/>. <see cref="KubeApiServer.CreateClient"/> stays the cluster
/// administrator; a test registers the tokens of the identities it plays.
/// </summary>
public sealed class RbacKubeApi : IDisposable
{
    private readonly TestCertificates _certificates = new("econt test cluster CA");
    private readonly X509Certificate2 _serving;

    public RbacKubeApi()
    {
        _certificates.IssueServer("kube-apiserver");
        _serving = X509Certificate2.CreateFromPemFile(_certificates.CertificateFile("kube-apiserver"), _certificates.KeyFile("kube-apiserver"));
    }

    public Task<KubeApiServer> StartAsync(CancellationToken cancellationToken, IReadOnlyList<string>? crdDirectories = null) =>
        KubeApiServer.StartAsync(new KubeApiServerOptions
        {
            CrdDirectories = crdDirectories ?? [],
            Authorization = KubeApiAuthorization.Rbac,
            ServerCertificate = _serving,
            CertificateAuthority = _certificates.Authority,
        }, cancellationToken);

    public void Dispose()
    {
        _serving.Dispose();
        _certificates.Dispose();
    }
}
