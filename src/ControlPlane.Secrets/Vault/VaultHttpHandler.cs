using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Secrets.Configuration;

namespace ControlPlane.Secrets.Vault;

/// <summary>
/// The HTTP handler for Vault: pooled connections recycled every few minutes (so DNS changes of the Vault
/// service are followed) and, when <see cref="VaultOptions.CaCertificateFile"/> is set, TLS validated against
/// that CA bundle only, like the Vault CLI's VAULT_CACERT. Host-name checks stay on.
/// </summary>
public static class VaultHttpHandler
{
    public static SocketsHttpHandler Create(VaultOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            ConnectTimeout = options.RequestTimeout,
            AllowAutoRedirect = false,
        };

        if (options.CaCertificateFile is { } caFile)
        {
            var authorities = new X509Certificate2Collection();
            authorities.ImportFromPemFile(caFile);
            if (authorities.Count == 0)
            {
                throw new InvalidOperationException($"{caFile} holds no PEM certificate.");
            }

            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                certificate is X509Certificate2 leaf && IsTrusted(leaf, errors, authorities);
        }

        return handler;
    }

    private static bool IsTrusted(X509Certificate2 leaf, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        // A wrong host name or a missing certificate is fatal whatever the CA; only the chain is re-judged.
        if ((errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
