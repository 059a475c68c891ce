using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Client;
using ControlPlane.Operator.Resolver;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ControlPlane.Benchmarks.Resolver;

/// <summary>
/// The resolver over HTTPS, wired as the operator wires it (<c>AddTenantConnectionResolver</c>, its own TLS listener with a
/// certificate from files, TokenReview against the in-process API server, cache warm), measured in the same run against
/// the in-process library call (<see cref="TenantConnectionResolver.ResolveAsync"/>, cache warm):
/// one request on a kept-alive connection vs one library call (interleaved), HTTPS resolves/s with one kept-alive
/// connection per core vs library resolves/s, and a request on a fresh connection (TCP + TLS handshake) vs one on a
/// kept-alive connection, whose difference is the handshake's cost.
/// </summary>
internal static class HttpsResolverMeasurement
{
    private const string Caller = "system:serviceaccount:billing:api";
    private const string Token = "bench-caller-token-5b1e0c9a7d";
    private const int Warmup = 200;
    private const int Iterations = 2_000;
    private const int FreshIterations = 300;
    private static readonly TimeSpan ThroughputWindow = TimeSpan.FromSeconds(2);

    public static async Task<int> RunAsync(NpgsqlDataSource dataSource, ISecretStore secrets, string[] slugs, CancellationToken cancellationToken)
    {
        using var certificates = new TestCertificates("econt bench CA");
        certificates.IssueServer("resolver");
        await using var api = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, cancellationToken);
        api.RegisterToken(Token, Caller);
        await using var app = await StartAsync(dataSource, secrets, api, certificates, cancellationToken);
        var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var library = app.Services.GetRequiredService<TenantConnectionResolver>();

        using var keptAlive = new HttpClient(Handler(certificates, reuse: true)) { BaseAddress = address };
        using var fresh = new HttpClient(Handler(certificates, reuse: false)) { BaseAddress = address };
        foreach (var slug in slugs)
        {
            // Warms the resolver's cache and the TokenReview cache; every later call is a hit on both.
            await ExpectResolvedAsync(keptAlive, slug, cancellationToken);
        }

        var request = await LatencyComparison.MeasureAsync("https keep-alive vs library", Warmup, Iterations,
            async i => await ExpectResolvedAsync(keptAlive, slugs[i % slugs.Length], cancellationToken),
            async i => _ = await library.ResolveAsync(slugs[i % slugs.Length], cancellationToken));
        var handshake = await LatencyComparison.MeasureAsync("https fresh vs keep-alive", Warmup / 10, FreshIterations,
            async i => await ExpectResolvedAsync(fresh, slugs[i % slugs.Length], cancellationToken),
            async i => await ExpectResolvedAsync(keptAlive, slugs[i % slugs.Length], cancellationToken));

        var httpsRate = await ThroughputAsync(async (worker, i) => await ExpectResolvedAsync(keptAlive, slugs[i % slugs.Length], cancellationToken), cancellationToken);
        var libraryRate = await ThroughputAsync(async (worker, i) => _ = await library.ResolveAsync(slugs[i % slugs.Length], cancellationToken), cancellationToken);

        Console.WriteLine();
        Console.WriteLine($"HTTPS resolver (TLS 1.2+, TokenReview cached, resolver cache warm) vs the library call, {Iterations:N0} calls each, interleaved; " +
                          $"fresh connections: {FreshIterations:N0}");
        Console.WriteLine(LatencyComparison.Header("first", "second"));
        Console.WriteLine(request.Format(LatencyComparison.NoTarget));
        Console.WriteLine(handshake.Format(LatencyComparison.NoTarget));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"TLS handshake cost (fresh − keep-alive, p50): {handshake.CandidateP50 - handshake.BaselineP50:F0} µs per new connection"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput, {Environment.ProcessorCount} tasks x {ThroughputWindow.TotalSeconds:0} s: https {httpsRate,10:N0} resolves/s   library {libraryRate,12:N0} resolves/s   library/https x {libraryRate / httpsRate:N0}"));

        // HTTPS cannot beat an in-process call; the check is only that every request resolved (ExpectResolvedAsync throws otherwise).
        return 0;
    }

    private static async Task<WebApplication> StartAsync(NpgsqlDataSource dataSource, ISecretStore secrets, KubeApiServer api, TestCertificates certificates, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        var listener = new ResolverListenerOptions(0, certificates.CertificateFile("resolver"), certificates.KeyFile("resolver"), TimeSpan.FromMinutes(1));
        builder.WebHost.ConfigureKestrel(kestrel => ResolverListener.Listen(kestrel, IPAddress.Loopback, listener, kestrel.ApplicationServices.GetRequiredService<CertificateReloader>()));
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["RESOLVER_CALLERS"] = $"{Caller}=*",
            ["RESOLVER_CACHE_TTL_SECONDS"] = "300",

            // One client on one address makes every request here: the rate limiters are lifted so the resolver is measured, not them.
            ["RESOLVER_RATE_LIMIT_PER_SECOND"] = "1000000",
            ["RESOLVER_RATE_LIMIT_BURST"] = "1000000",
            ["RESOLVER_ADDRESS_RATE_LIMIT_PER_SECOND"] = "1000000",
            ["RESOLVER_ADDRESS_RATE_LIMIT_BURST"] = "1000000",
        });
        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(secrets);
        builder.Services.AddSingleton(new TokenReviewClient(api.CreateClient()));
        builder.Services.AddSingleton(sp => new CertificateReloader(listener.CertificateFile!, listener.KeyFile!, listener.CertificateCheckInterval,
            TimeProvider.System, sp.GetRequiredService<ILogger<CertificateReloader>>()));
        builder.Services.AddTenantConnectionResolver(builder.Configuration);
        var app = builder.Build();
        app.SeparateListeners();
        app.MapTenantConnections();
        await app.StartAsync(cancellationToken);
        return app;
    }

    /// <summary>Trusts only the bench CA; <paramref name="reuse"/> false opens a new connection (TCP + TLS handshake) per request.</summary>
    private static SocketsHttpHandler Handler(TestCertificates certificates, bool reuse) => new()
    {
        PooledConnectionLifetime = reuse ? Timeout.InfiniteTimeSpan : TimeSpan.Zero,
        SslOptions = new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { certificates.Authority },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    };

    private static async Task ExpectResolvedAsync(HttpClient client, string slug, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/v1/tenants/{slug}/connection", UriKind.Relative));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await client.SendAsync(request, cancellationToken);
        _ = await response.Content.ReadAsByteArrayAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"GET /v1/tenants/{slug}/connection answered {(int)response.StatusCode}; the measurement would not be of resolves.");
        }
    }

    private static async Task<double> ThroughputAsync(Func<int, int, Task> call, CancellationToken cancellationToken)
    {
        long total = 0;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, Environment.ProcessorCount).Select(worker => Task.Run(async () =>
        {
            long count = 0;
            for (var i = worker; clock.Elapsed < ThroughputWindow; i++)
            {
                await call(worker, i);
                count++;
            }

            Interlocked.Add(ref total, count);
        }, cancellationToken));
        await Task.WhenAll(workers);
        return total / clock.Elapsed.TotalSeconds;
    }
}
