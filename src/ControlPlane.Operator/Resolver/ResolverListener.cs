using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace ControlPlane.Operator.Resolver;

/// <summary>Where and how the resolver listens (<c>RESOLVER_PORT</c>, <c>RESOLVER_TLS_CERT_FILE</c>, <c>RESOLVER_TLS_KEY_FILE</c>).</summary>
internal sealed record ResolverListenerOptions(int Port, string? CertificateFile, string? KeyFile, TimeSpan CertificateCheckInterval)
{
    public const int DefaultPort = 8443;

    public bool Tls => CertificateFile is not null;
}

/// <summary>
/// The resolver's own Kestrel listener. With TLS it speaks only TLS 1.2 and 1.3, with the certificate of
/// <see cref="CertificateReloader"/> chosen per handshake (so rotation needs no restart); a plain-HTTP request to it fails
/// the handshake. The listener marks its connections, and <see cref="SeparateListeners"/> keeps the connection route on
/// it and everything else (probes, /metrics) off it.
/// </summary>
internal static class ResolverListener
{
    private static readonly object ListenerKey = new();
    private static readonly object ResolverMarker = new();

    public static void Listen(KestrelServerOptions kestrel, IPAddress address, ResolverListenerOptions options, CertificateReloader? certificates)
    {
        kestrel.Listen(address, options.Port, listen =>
        {
            listen.Use(next => connection =>
            {
                connection.Items[ListenerKey] = ResolverMarker;
                return next(connection);
            });
            if (certificates is not null)
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    OnConnection = _ => ValueTask.FromResult(new SslServerAuthenticationOptions
                    {
                        ServerCertificateContext = certificates.Current,
                        EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                        ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                        ClientCertificateRequired = false,
                    }),
                });
            }
        });
    }

    /// <summary>404 for the connection route on any other listener, and for any other path on the resolver's listener.</summary>
    public static IApplicationBuilder SeparateListeners(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var onResolverListener = context.Features.Get<IConnectionItemsFeature>()?.Items.TryGetValue(ListenerKey, out var marker) == true
                                 && ReferenceEquals(marker, ResolverMarker);
        var resolverRoute = context.GetEndpoint()?.Metadata.GetMetadata<ResolverRouteMetadata>() is not null;
        if (onResolverListener != resolverRoute)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        }

        return next(context);
    });
}

/// <summary>Marks the endpoints served only on the resolver's listener.</summary>
internal sealed class ResolverRouteMetadata
{
    public static readonly ResolverRouteMetadata Instance = new();
}
