using System.Net;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Resolver;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace ControlPlane.Operator.Tests.Resolver;

/// <summary>
/// The operator's own host: the resolver on its TLS listener (real handshakes against a certificate of a test CA),
/// probes and metrics on the other port (same collection as the metrics tests: one operator at a time).
/// </summary>
[Collection(nameof(EndpointTests))]
public sealed class OperatorHostWiringTests(PostgresFixture postgres)
{
    private const string Route = "/v1/tenants/acme/connection";

    [Fact]
    public async Task The_resolver_answers_only_over_https_with_the_configured_certificate_and_only_on_its_own_port()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tls = new TestCertificates();
        var served = tls.IssueServer("resolver");
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, cancellationToken);
        cluster.Server.RegisterToken("tok-wiring-3f9e1d", "system:serviceaccount:default:someone", audiences: [ConnectionEndpointOptions.DefaultAudience]);
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var app = await StartAsync(cluster, catalog, tls, cancellationToken);
        var (probes, resolver) = Addresses(app);
        X509Certificate2? presented = null;
        using var https = new HttpClient(Trusting(tls, c => presented = c)) { BaseAddress = resolver };
        using var plain = new HttpClient { BaseAddress = probes };

        using var anonymous = await https.GetAsync(new Uri(Route, UriKind.Relative), cancellationToken);
        using var notAllowed = await https.SendAsync(Get(Route, "tok-wiring-3f9e1d"), cancellationToken);
        using var resolverOnProbePort = await plain.SendAsync(Get(Route, "tok-wiring-3f9e1d"), cancellationToken);
        using var probeOnResolverPort = await https.GetAsync(new Uri("/healthz", UriKind.Relative), cancellationToken);
        using var metricsOnResolverPort = await https.GetAsync(new Uri("/metrics", UriKind.Relative), cancellationToken);

        Assert.Equal(served.Thumbprint, presented?.Thumbprint);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        // Nobody is on the allow-list unless RESOLVER_CALLERS says so.
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.StatusCode);
        Assert.Equal("application/problem+json", notAllowed.Content.Headers.ContentType?.MediaType);
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound),
            (resolverOnProbePort.StatusCode, probeOnResolverPort.StatusCode, metricsOnResolverPort.StatusCode));

        // Plain HTTP to the TLS port never reaches the endpoint: Kestrel refuses it before any HTTP is parsed.
        using var plainToResolver = new HttpClient { BaseAddress = new UriBuilder(resolver) { Scheme = "http" }.Uri };
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => plainToResolver.SendAsync(Get(Route, "tok-wiring-3f9e1d"), cancellationToken));
    }

    [Fact]
    public async Task Health_probes_with_a_bearer_header_cause_no_token_review()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tls = new TestCertificates();
        tls.IssueServer("resolver");
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, cancellationToken);
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var app = await StartAsync(cluster, catalog, tls, cancellationToken);
        using var plain = new HttpClient { BaseAddress = Addresses(app).Probes };

        foreach (var path in new[] { "/healthz", "/readyz", "/metrics", "/healthz", "/nothing-here" })
        {
            using var response = await plain.SendAsync(Get(path, "tok-probe-" + Guid.NewGuid().ToString("N")), cancellationToken);
            Assert.NotEqual(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(0, cluster.Server.CountRequests("create", "/apis/authentication.k8s.io/v1/tokenreviews"));
    }

    [Fact]
    public async Task A_certificate_rotated_on_disk_is_served_without_a_restart()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var tls = new TestCertificates();
        var first = tls.IssueServer("resolver");
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, cancellationToken);
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var app = await StartAsync(cluster, catalog, tls, cancellationToken);
        var resolver = Addresses(app).Resolver;

        Assert.Equal(first.Thumbprint, await PresentedThumbprintAsync(tls, resolver, cancellationToken));

        var second = tls.IssueServer("resolver");
        Assert.NotEqual(first.Thumbprint, second.Thumbprint);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        string? presented;
        do
        {
            await Task.Delay(200, cancellationToken);
            presented = await PresentedThumbprintAsync(tls, resolver, cancellationToken);
        }
        while (presented != second.Thumbprint && DateTime.UtcNow < deadline);

        Assert.Equal(second.Thumbprint, presented);
    }

    internal static HttpRequestMessage Get(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new("Bearer", token);
        }

        return request;
    }

    private static async Task<WebApplication> StartAsync(OperatorTestCluster cluster, NpgsqlDataSource catalog, TestCertificates tls, CancellationToken cancellationToken)
    {
        var app = OperatorHost.Build(0, "test catalog", catalog, cluster.CreateOperatorClient(), cluster.CreateOperatorClient(), cluster.DefaultOptions(), "127.0.0.1",
            new ResolverListenerOptions(0, tls.CertificateFile("resolver"), tls.KeyFile("resolver"), TimeSpan.Zero));
        await app.StartAsync(cancellationToken);
        return app;
    }

    private static (Uri Probes, Uri Resolver) Addresses(WebApplication app) =>
        (new Uri(app.Urls.Single(u => u.StartsWith("http://", StringComparison.Ordinal))),
         new Uri(app.Urls.Single(u => u.StartsWith("https://", StringComparison.Ordinal))));

    /// <summary>A fresh connection each time (no pooling), so every call is a new handshake.</summary>
    private static async Task<string?> PresentedThumbprintAsync(TestCertificates tls, Uri resolver, CancellationToken cancellationToken)
    {
        string? thumbprint = null;
        using var https = new HttpClient(Trusting(tls, c => thumbprint = c.Thumbprint)) { BaseAddress = resolver };
        using var response = await https.GetAsync(new Uri(Route, UriKind.Relative), cancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        return thumbprint;
    }

    private static SocketsHttpHandler Trusting(TestCertificates tls, Action<X509Certificate2> seen)
    {
        var handler = EndpointHost.Handler(tls);
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
        {
            if (certificate is not null)
            {
                seen(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            }

            // The chain policy above already decided; the callback only records what was presented.
            return errors == System.Net.Security.SslPolicyErrors.None;
        };
        return handler;
    }
}
