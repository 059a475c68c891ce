using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Core.Configuration;
using ControlPlane.Store.Connection;

namespace ControlPlane.Operator.Resolver;

/// <summary>
/// The resolver's server certificate, read from PEM files (a mounted <c>kubernetes.io/tls</c> Secret, e.g. issued by
/// cert-manager) and re-read when either file changes, so a rotated certificate is served on the next handshake without a
/// restart. Files are looked at no more often than <c>checkInterval</c>; a half-written pair (new certificate, old key)
/// fails to load and the previous certificate keeps being served until the pair is whole.
/// </summary>
internal sealed class CertificateReloader
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly long _checkTicks;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private Loaded _current;
    private long _nextCheck;

    public CertificateReloader(string certificateFile, string keyFile, TimeSpan checkInterval, TimeProvider time, ILogger logger)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _time = time;
        _logger = logger;
        _checkTicks = (long)(checkInterval.TotalSeconds * time.TimestampFrequency);
        try
        {
            _current = Load(Stamp());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ConfigurationException(
                $"The resolver's TLS certificate could not be loaded from {certificateFile} and {keyFile}: {e.Message}");
        }

        _nextCheck = time.GetTimestamp() + _checkTicks;
        Log.ResolverCertificateLoaded(logger, _current.Certificate.Subject, _current.Certificate.Thumbprint, _current.Certificate.NotAfter);
    }

    /// <summary>The certificate (with its chain) to present now.</summary>
    public SslStreamCertificateContext Current
    {
        get
        {
            var now = _time.GetTimestamp();
            if (now >= Volatile.Read(ref _nextCheck))
            {
                Refresh(now);
            }

            return Volatile.Read(ref _current).Context;
        }
    }

    /// <summary>The leaf certificate presented now (for tests and logs).</summary>
    public X509Certificate2 Certificate => Volatile.Read(ref _current).Certificate;

    private void Refresh(long now)
    {
        lock (_gate)
        {
            if (now < _nextCheck)
            {
                return;
            }

            _nextCheck = now + _checkTicks;
            (DateTime, long, DateTime, long) stamp;
            try
            {
                stamp = Stamp();
            }
            catch (IOException e)
            {
                Log.ResolverCertificateNotReloaded(_logger, e.Message);
                return;
            }

            if (stamp == _current.Stamp)
            {
                return;
            }

            try
            {
                var loaded = Load(stamp);
                Volatile.Write(ref _current, loaded);
                Log.ResolverCertificateLoaded(_logger, loaded.Certificate.Subject, loaded.Certificate.Thumbprint, loaded.Certificate.NotAfter);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
            {
                // Most often a rotation caught between its two writes: keep serving the old pair and look again later.
                Log.ResolverCertificateNotReloaded(_logger, e.Message);
            }
        }
    }

    private (DateTime, long, DateTime, long) Stamp()
    {
        // FileInfo follows the symbolic links a Secret volume swaps atomically (..data), so a rotation changes the stamp.
        var certificate = new FileInfo(_certificateFile);
        var key = new FileInfo(_keyFile);
        if (!certificate.Exists || !key.Exists)
        {
            throw new IOException($"{(certificate.Exists ? _keyFile : _certificateFile)} does not exist");
        }

        return (certificate.LastWriteTimeUtc, certificate.Length, key.LastWriteTimeUtc, key.Length);
    }

    private Loaded Load((DateTime, long, DateTime, long) stamp)
    {
        var leaf = X509Certificate2.CreateFromPemFile(_certificateFile, _keyFile);
        var chain = new X509Certificate2Collection();
        chain.ImportFromPemFile(_certificateFile);
        var intermediates = new X509Certificate2Collection();
        foreach (var certificate in chain.Skip(1))
        {
            intermediates.Add(certificate);
        }

        return new Loaded(leaf, SslStreamCertificateContext.Create(leaf, intermediates, offline: true), stamp);
    }

    private sealed record Loaded(X509Certificate2 Certificate, SslStreamCertificateContext Context, (DateTime, long, DateTime, long) Stamp);
}
