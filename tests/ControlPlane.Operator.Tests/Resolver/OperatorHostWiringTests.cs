using System.Net;
using ControlPlane.Operator.Hosting;
using ControlPlane.Operator.Tests.Integration;
using ControlPlane.Testing;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace ControlPlane.Operator.Tests.Resolver;

/// <summary>The operator's own host serves the connection endpoint with its authentication (same collection as the metrics tests: one operator at a time).</summary>
[Collection(nameof(EndpointTests))]
public sealed class OperatorHostWiringTests(PostgresFixture postgres)
{
    [Fact]
    public async Task The_operator_host_serves_the_connection_endpoint_only_to_allow_listed_service_accounts()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, cancellationToken);
        cluster.Server.RegisterToken("tok-wiring-3f9e1d", "system:serviceaccount:default:someone");
        await using var catalog = NpgsqlDataSource.Create(cluster.CatalogConnectionString);
        await using var app = OperatorHost.Build(0, "test catalog", catalog, cluster.CreateOperatorClient(), cluster.DefaultOptions(), "127.0.0.1");
        await app.StartAsync(cancellationToken);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        using var anonymous = await http.GetAsync(new Uri("/v1/tenants/acme/connection", UriKind.Relative), cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/v1/tenants/acme/connection", UriKind.Relative));
        request.Headers.Authorization = new("Bearer", "tok-wiring-3f9e1d");
        using var notAllowed = await http.SendAsync(request, cancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        // Nobody is on the allow-list unless RESOLVER_ALLOWED_SERVICE_ACCOUNTS says so.
        Assert.Equal(HttpStatusCode.Forbidden, notAllowed.StatusCode);
        Assert.Equal("application/problem+json", notAllowed.Content.Headers.ContentType?.MediaType);
    }
}
