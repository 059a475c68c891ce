using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using ControlPlane.Core.Secrets;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Resolver;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
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

namespace ControlPlane.Operator.Tests.Resolver;

/// <summary>
/// The connection endpoint wired exactly as a host wires it (<c>AddTenantConnectionResolver</c>, the resolver's own
/// listener, <c>SeparateListeners</c>, <c>MapTenantConnections</c>) in a minimal WebApplication on 127.0.0.1, over a
/// migrated catalog, the in-process Kubernetes API server for TokenReview and a Tenant informer for namespace grants.
/// With <see cref="TestCertificates"/> the listener speaks TLS and <see cref="Http"/> trusts only that test CA.
/// ENVIRONMENT=dev, so passwords live in the mock secret backend.
/// </summary>
internal sealed class EndpointHost : IAsyncDisposable
{
    public const string AllowedUser = "system:serviceaccount:billing:api";
    public const string OtherAllowedUser = "system:serviceaccount:reports:worker";
    public const string AllowedToken = "tok-allowed-5b1e0c9a7d";
    public const string OtherAllowedToken = "tok-other-0e8f7a6b5c";
    public const string ForeignToken = "tok-foreign-93c2d1e0f4";

    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _dataSource;
    private readonly CancellationTokenSource _informing;
    private readonly Task _informer;

    private EndpointHost(
        WebApplication app, NpgsqlDataSource dataSource, KubeApiServer api, CapturingLoggerProvider logs, Uri address, TestCertificates? tls,
        CancellationTokenSource informing, Task informer)
    {
        _app = app;
        _dataSource = dataSource;
        _informing = informing;
        _informer = informer;
        Api = api;
        Logs = logs;
        Address = address;
        Catalog = new TenantCatalog(dataSource);
        Http = new HttpClient(Handler(tls)) { BaseAddress = address };
    }

    /// <summary>The resolver listener's address (https:// with TLS).</summary>
    public Uri Address { get; }

    public KubeApiServer Api { get; }

    public CapturingLoggerProvider Logs { get; }

    public TenantCatalog Catalog { get; }

    public HttpClient Http { get; }

    public ISecretStore Secrets => _app.Services.GetRequiredService<ISecretStore>();

    public static async Task<EndpointHost> StartAsync(PostgresFixture postgres, IDictionary<string, string?>? settings = null, TestCertificates? tls = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var api = await KubeApiServer.StartAsync(cancellationToken: cancellationToken);
        api.RegisterToken(AllowedToken, AllowedUser);
        api.RegisterToken(OtherAllowedToken, OtherAllowedUser);
        api.RegisterToken(ForeignToken, "system:serviceaccount:default:intruder");
        var dataSource = NpgsqlDataSource.Create(await CatalogTemplate.CreateDatabaseAsync(postgres, cancellationToken));

        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        var listener = new ResolverListenerOptions(0, tls?.CertificateFile("resolver"), tls?.KeyFile("resolver"), TimeSpan.Zero);
        builder.WebHost.ConfigureKestrel(kestrel => ResolverListener.Listen(
            kestrel, IPAddress.Loopback, listener, tls is null ? null : kestrel.ApplicationServices.GetRequiredService<CertificateReloader>()));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["RESOLVER_CALLERS"] = $"{AllowedUser}=*; {OtherAllowedUser}=*",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton(new TokenReviewClient(api.CreateClient()));
        if (tls is not null)
        {
            builder.Services.AddSingleton(sp => new CertificateReloader(listener.CertificateFile!, listener.KeyFile!, listener.CertificateCheckInterval,
                TimeProvider.System, sp.GetRequiredService<ILogger<CertificateReloader>>()));
        }

        // Namespace grants are checked against the Tenant objects the informer sees, as in the operator.
        var tenants = new KubernetesResourceClient<Tenant>(api.CreateClient(), TenantOperator.Resource);
        var informer = new Informer<Tenant>(tenants, [], new InformerSettings(TimeSpan.FromMinutes(5), new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)), 500, TimeSpan.FromSeconds(30)),
            TimeProvider.System, new OperatorMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>()).Runtime,
            NullLogger.Instance);
        builder.Services.AddSingleton<ITenantDirectory>(new InformerTenantDirectory(informer));
        builder.Services.AddTenantConnectionResolver(builder.Configuration);
        var app = builder.Build();
        app.SeparateListeners();
        app.MapTenantConnections();
        await app.StartAsync(cancellationToken);
        var informing = new CancellationTokenSource();
        var running = Task.Run(() => informer.RunAsync(informing.Token), CancellationToken.None);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EndpointHost(app, dataSource, api, logs, new Uri(address), tls, informing, running);
    }

    /// <summary>A handler that trusts only <paramref name="tls"/>'s CA (and checks the host name as always).</summary>
    public static SocketsHttpHandler Handler(TestCertificates? tls) => new()
    {
        PooledConnectionLifetime = TimeSpan.Zero,
        SslOptions = tls is null ? new() : new SslClientAuthenticationOptions
        {
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { tls.Authority },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        },
    };

    public async Task<HttpResponseMessage> GetAsync(string slug, string? token = AllowedToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/v1/tenants/{Uri.EscapeDataString(slug)}/connection", UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await Http.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>Registers a tenant with a mock-backed password and moves it to <paramref name="status"/>.</summary>
    public async Task<CatalogTenant> AddTenantAsync(string slug, CatalogTenantStatus status, string password, bool maintenance = false, bool writeSecret = true)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse($"mock:{slug}-db");
        if (writeSecret)
        {
            await Secrets.WriteAsync(reference, new SecretValue(password), new SecretOwner(slug), cancellationToken);
        }

        var tenant = await Catalog.RegisterAsync(new TenantRegistration(slug, slug, $"tenant_{slug.Replace('-', '_')}", "db.internal", $"app_{slug.Replace('-', '_')}", reference), "test", cancellationToken);
        if (status is CatalogTenantStatus.Active or CatalogTenantStatus.Suspended)
        {
            tenant = await Catalog.MarkActiveAsync(tenant.Id, "test", cancellationToken);
        }

        tenant = status switch
        {
            CatalogTenantStatus.Suspended => await Catalog.MarkSuspendedAsync(tenant.Id, "unpaid invoices", "test", cancellationToken),
            CatalogTenantStatus.Deleting => await Catalog.MarkDeletingAsync(tenant.Id, "test", cancellationToken),
            _ => tenant,
        };
        return maintenance
            ? await Catalog.UpdateProfileAsync(tenant.Id, TenantProfile.Of(tenant) with { MaintenanceFlag = true }, "test", cancellationToken)
            : tenant;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _informing.CancelAsync();
        try
        {
            await _informer;
        }
        catch (OperationCanceledException)
        {
        }

        _informing.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await _dataSource.DisposeAsync();
        await Api.DisposeAsync();
    }
}
