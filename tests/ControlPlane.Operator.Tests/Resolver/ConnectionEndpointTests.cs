using System.Net;
using System.Text.Json;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Resolver;

public sealed class ConnectionEndpointTests(PostgresFixture postgres)
{
    private const string Password = "Endpoint-Pa55word-7f3a";

    [Fact]
    public async Task Without_a_token_or_with_an_invalid_one_the_answer_is_401_problem_json()
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);

        foreach (var token in new[] { null, "not-a-real-token" })
        {
            using var response = await host.GetAsync("acme", token);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
            Assert.True(response.Headers.CacheControl?.NoStore);
            var problem = await ProblemAsync(response);
            Assert.Equal(401, problem.GetProperty("status").GetInt32());
            Assert.DoesNotContain(Password, problem.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_valid_service_account_that_is_not_on_the_allow_list_gets_403()
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);

        using var response = await host.GetAsync("acme", EndpointHost.ForeignToken);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.EndsWith("/forbidden", (await ProblemAsync(response)).GetProperty("type").GetString(), StringComparison.Ordinal);
        // The TokenReview really went to the API server and said who the caller is.
        Assert.True(host.Api.CountRequests("create", "/apis/authentication.k8s.io/v1/tokenreviews") >= 1);
        Assert.Contains(host.Logs.Lines, l => l.Contains("[801]", StringComparison.Ordinal) && l.Contains("system:serviceaccount:default:intruder", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_allowed_caller_gets_200_with_the_connection_and_no_store()
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        var tenant = await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);

        using var response = await host.GetAsync("ACME");
        using var again = await host.GetAsync("acme");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (response.StatusCode, again.StatusCode));
        // The second request reused the first TokenReview.
        Assert.Equal(1, host.Api.CountRequests("create", "/apis/authentication.k8s.io/v1/tokenreviews"));
        Assert.True(response.Headers.CacheControl?.NoStore);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.Equal(("db.internal", 5432, tenant.DbName, tenant.DbUser, Password),
            (body.GetProperty("host").GetString(), body.GetProperty("port").GetInt32(), body.GetProperty("database").GetString(),
             body.GetProperty("user").GetString(), body.GetProperty("password").GetString()));
        var dsn = new NpgsqlConnectionStringBuilder(body.GetProperty("connectionString").GetString());
        Assert.Equal(("db.internal", 5432, tenant.DbName, tenant.DbUser, Password), (dsn.Host, dsn.Port, dsn.Database, dsn.Username, dsn.Password));
    }

    [Theory]
    [InlineData(CatalogTenantStatus.Suspended, false, 423, "tenant-suspended", "suspended")]
    [InlineData(CatalogTenantStatus.Provisioning, false, 409, "tenant-not-ready", "provisioning")]
    [InlineData(CatalogTenantStatus.Deleting, false, 409, "tenant-not-ready", "deleting")]
    [InlineData(CatalogTenantStatus.Active, true, 503, "tenant-maintenance", "maintenance")]
    public async Task Refusals_are_problem_json_with_the_status_and_nothing_secret(CatalogTenantStatus status, bool maintenance, int code, string type, string reported)
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        await host.AddTenantAsync("acme", status, Password, maintenance);

        using var response = await host.GetAsync("acme");

        Assert.Equal(code, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.True(response.Headers.CacheControl?.NoStore);
        var problem = await ProblemAsync(response);
        Assert.Equal(("https://controlplane.econt.io/problems/" + type, code, "acme", reported),
            (problem.GetProperty("type").GetString(), problem.GetProperty("status").GetInt32(), problem.GetProperty("slug").GetString(),
             problem.GetProperty("tenantStatus").GetString()));
        var text = problem.ToString();
        foreach (var secret in new[] { Password, "db.internal", "mock:", "tenant_acme", EndpointHost.AllowedToken })
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        if (code == 503)
        {
            Assert.Equal(TimeSpan.FromSeconds(30), response.Headers.RetryAfter?.Delta);
        }

        if (status == CatalogTenantStatus.Suspended)
        {
            Assert.Equal("unpaid invoices", problem.GetProperty("reason").GetString());
        }
    }

    [Fact]
    public async Task When_the_api_server_cannot_review_tokens_the_answer_is_503_not_401()
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);
        host.Api.FailNext("create", "/apis/authentication.k8s.io/v1/tokenreviews", 500);

        using var failed = await host.GetAsync("acme");
        using var recovered = await host.GetAsync("acme");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        Assert.EndsWith("/token-review-unavailable", (await ProblemAsync(failed)).GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.NotNull(failed.Headers.RetryAfter);
        Assert.Equal(HttpStatusCode.OK, recovered.StatusCode);
    }

    [Theory]
    [InlineData("nobody")]
    [InlineData("not_a_slug")]
    public async Task Unknown_and_invalid_slugs_get_404_problem_json(string slug)
    {
        await using var host = await EndpointHost.StartAsync(postgres);

        using var response = await host.GetAsync(slug);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.EndsWith("/tenant-not-found", (await ProblemAsync(response)).GetProperty("type").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_caller_has_its_own_rate_limit_and_excess_gets_429_with_retry_after()
    {
        await using var host = await EndpointHost.StartAsync(postgres, new Dictionary<string, string?>
        {
            ["RESOLVER_RATE_LIMIT_PER_SECOND"] = "1",
            ["RESOLVER_RATE_LIMIT_BURST"] = "2",
        });
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);

        var codes = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await host.GetAsync("acme");
            codes.Add((int)response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                Assert.NotNull(response.Headers.RetryAfter?.Delta);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            }
        }

        using var other = await host.GetAsync("acme", EndpointHost.OtherAllowedToken);

        Assert.Equal([200, 200, 429], codes);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task No_response_or_log_line_carries_a_token_or_a_password_except_the_200_body()
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);
        await host.AddTenantAsync("paused", CatalogTenantStatus.Suspended, Password + "-paused");
        await host.AddTenantAsync("broken", CatalogTenantStatus.Active, Password + "-broken", writeSecret: false);

        var answers = new List<(int Code, string Headers, string Body)>();
        foreach (var (slug, token) in new[]
                 {
                     ("acme", (string?)null), ("acme", "tok-invalid-1234567890"), ("acme", EndpointHost.ForeignToken),
                     ("acme", EndpointHost.AllowedToken), ("paused", EndpointHost.AllowedToken), ("broken", EndpointHost.AllowedToken),
                     ("nobody", EndpointHost.AllowedToken),
                 })
        {
            using var response = await host.GetAsync(slug, token);
            answers.Add(((int)response.StatusCode, response.Headers + "" + response.Content.Headers,
                await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)));
        }

        Assert.Equal([401, 401, 403, 200, 423, 500, 404], answers.Select(a => a.Code));
        var secrets = new[] { Password, EndpointHost.AllowedToken, EndpointHost.ForeignToken, "tok-invalid-1234567890" };
        foreach (var (code, headers, body) in answers)
        {
            Assert.All(secrets, s => Assert.DoesNotContain(s, headers, StringComparison.Ordinal));
            Assert.All(secrets.Skip(code == 200 ? 1 : 0), s => Assert.DoesNotContain(s, body, StringComparison.Ordinal));
        }

        Assert.Contains(Password, answers.Single(a => a.Code == 200).Body, StringComparison.Ordinal);
        Assert.NotEmpty(host.Logs.Lines);
        Assert.All(secrets, s => Assert.DoesNotContain(s, host.Logs.All, StringComparison.Ordinal));
        // Every kind of attempt was logged, by caller, without its token.
        foreach (var eventId in new[] { "[800]", "[801]", "[802]", "[803]" })
        {
            Assert.Contains(host.Logs.Lines, l => l.Contains(eventId, StringComparison.Ordinal));
        }
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
}
