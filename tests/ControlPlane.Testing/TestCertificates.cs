using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ControlPlane.Testing;

/// <summary>
/// A throw-away certificate authority and the server certificates it signs, generated in memory with
/// System.Security.Cryptography and written as PEM files (what a mounted <c>kubernetes.io/tls</c> Secret holds).
/// Nothing here is trusted by the machine: each test hands the CA to exactly the client that should trust it.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    private readonly ECDsa _caKey;

    public TestCertificates(string commonName = "econt test CA")
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("econt-tls-").FullName;
        _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        Authority = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        AuthorityFile = Path.Combine(Directory, "ca.crt");
        File.WriteAllText(AuthorityFile, Authority.ExportCertificatePem());
    }

    /// <summary>Folder of the PEM files; deleted on dispose.</summary>
    public string Directory { get; }

    public X509Certificate2 Authority { get; }

    /// <summary>The CA certificate as PEM (what <c>sslrootcert</c> or a client's trust list takes).</summary>
    public string AuthorityFile { get; }

    /// <summary>
    /// Issues a server certificate for <paramref name="names"/> (DNS names or IP addresses; default 127.0.0.1 and
    /// localhost) and writes <c>&lt;file&gt;.crt</c> and <c>&lt;file&gt;.key</c> (PKCS#8, unencrypted). Returns the certificate.
    /// </summary>
    public X509Certificate2 IssueServer(string file, params string[] names)
    {
        if (names.Length == 0)
        {
            names = ["127.0.0.1", "localhost"];
        }

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={names[0]}", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                san.AddIpAddress(address);
            }
            else
            {
                san.AddDnsName(name);
            }
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(Authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(10), serial);

        // Write to temporary names and move, so a reader never sees a half-written file.
        var certificatePath = Path.Combine(Directory, file + ".crt");
        var keyPath = Path.Combine(Directory, file + ".key");
        WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem());
        WriteAtomically(certificatePath, issued.ExportCertificatePem());
        return X509CertificateLoader.LoadCertificate(issued.RawData);
    }

    public string CertificateFile(string file) => Path.Combine(Directory, file + ".crt");

    public string KeyFile(string file) => Path.Combine(Directory, file + ".key");

    public void Dispose()
    {
        _caKey.Dispose();
        Authority.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A server may still hold a file open; the temp folder is cleaned by the OS.
        }
    }

    private static void WriteAtomically(string path, string content)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, content);
        File.Move(temporary, path, overwrite: true);
    }
}
