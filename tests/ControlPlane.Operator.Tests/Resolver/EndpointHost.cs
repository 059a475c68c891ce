using System.Net;
using System.Net.Http.Headers;
using ControlPlane.Operator.Resolver;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Store.Secrets;
using ControlPlane.Testing;
using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ControlPlane.Operator.Tests.Resolver;

/// <summary>
/// The connection endpoint wired exactly as a host wires it (<c>AddTenantConnectionResolver</c>, <c>UseRateLimiter</c>,
/// <c>MapTenantConnections</c>) in a minimal WebApplication on 127.0.0.1, over a migrated catalog and the in-process
/// Kubernetes API server for TokenReview. ENVIRONMENT=dev, so passwords live in the mock secret backend.
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

    private EndpointHost(WebApplication app, NpgsqlDataSource dataSource, KubeApiServer api, CapturingLoggerProvider logs, Uri address)
    {
        _app = app;
        _dataSource = dataSource;
        Api = api;
        Logs = logs;
        Catalog = new TenantCatalog(dataSource);
        Http = new HttpClient { BaseAddress = address };
    }

    public KubeApiServer Api { get; }

    public CapturingLoggerProvider Logs { get; }

    public TenantCatalog Catalog { get; }

    public HttpClient Http { get; }

    public ISecretStore Secrets => _app.Services.GetRequiredService<ISecretStore>();

    public static async Task<EndpointHost> StartAsync(PostgresFixture postgres, IDictionary<string, string?>? settings = null)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var api = await KubeApiServer.StartAsync(cancellationToken: cancellationToken);
        api.RegisterToken(AllowedToken, AllowedUser);
        api.RegisterToken(OtherAllowedToken, OtherAllowedUser);
        api.RegisterToken(ForeignToken, "system:serviceaccount:default:intruder");
        var dataSource = NpgsqlDataSource.Create(await CatalogTemplate.CreateDatabaseAsync(postgres, cancellationToken));

        var logs = new CapturingLoggerProvider();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders().SetMinimumLevel(LogLevel.Trace).AddProvider(logs);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["RESOLVER_ALLOWED_SERVICE_ACCOUNTS"] = $"{AllowedUser}, {OtherAllowedUser}",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        builder.Services.AddSingleton(dataSource);
        builder.Services.AddSingleton<IKubernetes>(api.CreateClient());
        builder.Services.AddTenantConnectionResolver(builder.Configuration);
        var app = builder.Build();
        app.UseRateLimiter();
        app.MapTenantConnections();
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new EndpointHost(app, dataSource, api, logs, new Uri(address));
    }

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
    public async Task<Tenant> AddTenantAsync(string slug, TenantStatus status, string password, bool maintenance = false, bool writeSecret = true)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse($"mock:{slug}-db");
        if (writeSecret)
        {
            await Secrets.WriteAsync(reference, new SecretValue(password), new SecretOwner(slug), cancellationToken);
        }

        var tenant = await Catalog.RegisterAsync(new TenantRegistration(slug, slug, $"tenant_{slug.Replace('-', '_')}", "db.internal", $"app_{slug.Replace('-', '_')}", reference), "test", cancellationToken);
        if (status is TenantStatus.Active or TenantStatus.Suspended)
        {
            tenant = await Catalog.MarkActiveAsync(tenant.Id, "test", cancellationToken);
        }

        tenant = status switch
        {
            TenantStatus.Suspended => await Catalog.MarkSuspendedAsync(tenant.Id, "unpaid invoices", "test", cancellationToken),
            TenantStatus.Deleting => await Catalog.MarkDeletingAsync(tenant.Id, "test", cancellationToken),
            _ => tenant,
        };
        return maintenance
            ? await Catalog.UpdateProfileAsync(tenant.Id, TenantProfile.Of(tenant) with { MaintenanceFlag = true }, "test", cancellationToken)
            : tenant;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await _dataSource.DisposeAsync();
        await Api.DisposeAsync();
    }
}
