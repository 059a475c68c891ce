using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>A private CA and a server certificate for 127.0.0.1 signed by it, made in memory for TLS tests.</summary>
public sealed class TestCertificates : IDisposable
{
    private TestCertificates(X509Certificate2 authority, X509Certificate2 server)
    {
        Authority = authority;
        Server = server;
    }

    public X509Certificate2 Authority { get; }

    public X509Certificate2 Server { get; }

    /// <param name="authorityName">The CA's common name.</param>
    /// <param name="dnsNames">Host names the server certificate covers besides 127.0.0.1 and localhost (wildcards allowed).</param>
    public static TestCertificates Create(string authorityName = "econt test CA", params string[] dnsNames)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={authorityName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var authority = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        foreach (var name in dnsNames)
        {
            names.AddDnsName(name);
        }
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var signed = serverRequest.Create(authority, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = signed.CopyWithPrivateKey(serverKey);

        // Kestrel on Linux wants a certificate whose key it can use for TLS: round-trip through PKCS#12.
        var server = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return new TestCertificates(authority, server);
    }

    public string WriteAuthorityPem(string path)
    {
        File.WriteAllText(path, Authority.ExportCertificatePem());
        return path;
    }

    public void Dispose()
    {
        Authority.Dispose();
        Server.Dispose();
    }
}
