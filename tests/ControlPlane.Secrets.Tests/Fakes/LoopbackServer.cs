using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ControlPlane.Secrets.Tests.Fakes;

/// <summary>Kestrel on a free 127.0.0.1 port with one catch-all handler; HTTPS when a certificate is given.</summary>
internal static class LoopbackServer
{
    public static async Task<(WebApplication App, Uri Address)> StartAsync(RequestDelegate handler, CancellationToken cancellationToken, X509Certificate2? certificate = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen =>
        {
            if (certificate is not null)
            {
                listen.UseHttps(certificate);
            }
        }));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.Run(handler);
        await app.StartAsync(cancellationToken);
        var server = (IServer)app.Services.GetService(typeof(IServer))!;
        return (app, new Uri(server.Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/"));
    }
}

/// <summary>What the backend contract suite asks of every fake: refuse a secret, throttle, count versions.</summary>
public interface ICloudFake
{
    /// <summary>Every request for this secret name is refused as the cloud refuses a missing permission.</summary>
    void Deny(string secretName);

    /// <summary>The next <paramref name="requests"/> requests are throttled (with Retry-After where the cloud sends it).</summary>
    void Throttle(int requests);

    /// <summary>Versions the secret has (0 when absent).</summary>
    int VersionCount(string container, string secretName);

    /// <summary>Creates a secret the operator did not create (no managed-by mark) holding <paramref name="json"/>.</summary>
    void PutForeign(string container, string secretName, string json);

    /// <summary>Requests answered so far, for the bench's ratio and for tests that count round trips.</summary>
    int RequestCount { get; }
}
