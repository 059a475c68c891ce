using System.Diagnostics;
using System.Net;
using System.Text.Json;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Resolver;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;
using k8s;
using k8s.Models;

namespace ControlPlane.Operator.Tests.Resolver;

/// <summary>Who gets an answer from the resolver over TLS: audience-bound tokens, namespace grants, bounded TokenReviews.</summary>
public sealed class ResolverCallerTests(PostgresFixture postgres)
{
    private const string Password = "Caller-Pa55word-91c2";
    private const string TeamA = "system:serviceaccount:team-a:app";
    private const string TeamAToken = "tok-team-a-7c1d2e";

    [Fact]
    public async Task A_token_bound_to_another_audience_gets_401_and_the_right_audience_gets_200()
    {
        using var tls = new TestCertificates();
        tls.IssueServer("resolver");
        await using var host = await EndpointHost.StartAsync(postgres, tls: tls);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);
        // The attack: a token minted for the API server (the default audience of a pod's token), captured and replayed here.
        host.Api.RegisterToken("tok-apiserver-only", EndpointHost.AllowedUser, audiences: ["https://kubernetes.default.svc"]);
        host.Api.RegisterToken("tok-bound", EndpointHost.AllowedUser, audiences: [ConnectionEndpointOptions.DefaultAudience]);

        using var captured = await host.GetAsync("acme", "tok-apiserver-only");
        using var bound = await host.GetAsync("acme", "tok-bound");

        Assert.Equal(HttpStatusCode.Unauthorized, captured.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bound.StatusCode);
        Assert.Equal("https", host.Address.Scheme);
    }

    [Fact]
    public void A_review_that_does_not_name_the_audience_is_refused_even_when_authenticated()
    {
        var review = new V1TokenReview
        {
            Status = new V1TokenReviewStatus { Authenticated = true, User = new V1UserInfo { Username = TeamA }, Audiences = ["https://kubernetes.default.svc"] },
        };
        var legacy = new V1TokenReview { Status = new V1TokenReviewStatus { Authenticated = true, User = new V1UserInfo { Username = TeamA } } };

        Assert.Null(TokenReviewAuthenticator.Accepted(review, ConnectionEndpointOptions.DefaultAudience));
        Assert.Null(TokenReviewAuthenticator.Accepted(legacy, ConnectionEndpointOptions.DefaultAudience));
        review.Status.Audiences = [ConnectionEndpointOptions.DefaultAudience];
        Assert.Equal(TeamA, TokenReviewAuthenticator.Accepted(review, ConnectionEndpointOptions.DefaultAudience));
    }

    [Fact]
    public async Task A_caller_granted_namespace_a_gets_the_unknown_slug_answer_for_a_tenant_of_namespace_b()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var host = await EndpointHost.StartAsync(postgres, new Dictionary<string, string?>
        {
            ["RESOLVER_CALLERS"] = $"{TeamA}=team-a; {EndpointHost.AllowedUser}=selector:tier=gold",
        });
        host.Api.RegisterToken(TeamAToken, TeamA);
        var alpha = await host.AddTenantAsync("alpha", CatalogTenantStatus.Active, Password);
        var beta = await host.AddTenantAsync("beta", CatalogTenantStatus.Active, Password + "-b");
        var paused = await host.AddTenantAsync("paused", CatalogTenantStatus.Suspended, Password + "-p");
        await AddTenantObjectAsync(host, "team-a", "alpha", alpha.Id, null, cancellationToken);
        await AddTenantObjectAsync(host, "team-b", "beta", beta.Id, new Dictionary<string, string> { ["tier"] = "gold" }, cancellationToken);
        await AddTenantObjectAsync(host, "team-b", "paused", paused.Id, null, cancellationToken);
        // The attack on slugs: a Tenant in team-a claiming team-b's slug. The operator refuses it (SlugConflict) and
        // never writes status.tenantId, so it grants nothing.
        await AddTenantObjectAsync(host, "team-a", "beta-squatter", null, null, cancellationToken, slug: "beta");

        await WaitForAsync(async () => (await host.GetAsync("alpha", TeamAToken)).StatusCode == HttpStatusCode.OK, "team-a resolves alpha");
        using var own = await host.GetAsync("alpha", TeamAToken);
        using var foreign = await host.GetAsync("beta", TeamAToken);
        using var foreignSuspended = await host.GetAsync("paused", TeamAToken);
        using var unknown = await host.GetAsync("nobody-here", TeamAToken);
        using var bySelector = await host.GetAsync("beta", EndpointHost.AllowedToken);
        using var outsideSelector = await host.GetAsync("alpha", EndpointHost.AllowedToken);

        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bySelector.StatusCode);
        var notFound = await BodyAsync(unknown);
        foreach (var hidden in new[] { foreign, foreignSuspended, outsideSelector })
        {
            Assert.Equal(HttpStatusCode.NotFound, hidden.StatusCode);
            var body = await BodyAsync(hidden);
            // Byte for byte the unknown-slug answer, apart from the slug the caller sent.
            Assert.Equal(Normalize(notFound, "nobody-here"), Normalize(body, JsonDocument.Parse(body).RootElement.GetProperty("slug").GetString()!));
        }
    }

    [Fact]
    public async Task A_thousand_random_bearer_tokens_from_one_address_cause_at_most_burst_plus_rate_times_seconds_token_reviews()
    {
        using var tls = new TestCertificates();
        tls.IssueServer("resolver");
        const int Burst = 10;
        const int PerSecond = 2;
        await using var host = await EndpointHost.StartAsync(postgres, new Dictionary<string, string?>
        {
            ["RESOLVER_ADDRESS_RATE_LIMIT_PER_SECOND"] = PerSecond.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["RESOLVER_ADDRESS_RATE_LIMIT_BURST"] = Burst.ToString(System.Globalization.CultureInfo.InvariantCulture),

            // The warm-up's review must outlive the 1000 requests however slow the machine (82 s seen under load, past
            // the default 30 s): the last assertion is about the cache answering, not about how fast the loop ran.
            ["RESOLVER_TOKEN_REVIEW_CACHE_SECONDS"] = "3600",
        }, tls);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);
        using var warmUp = await host.GetAsync("acme");
        var before = Reviews(host);

        var clock = Stopwatch.StartNew();
        var codes = new Dictionary<HttpStatusCode, int>();
        for (var i = 0; i < 1000; i++)
        {
            using var response = await host.GetAsync("acme", "random-" + Guid.NewGuid().ToString("N"));
            codes[response.StatusCode] = codes.GetValueOrDefault(response.StatusCode) + 1;
        }

        var seconds = Math.Ceiling(clock.Elapsed.TotalSeconds);
        var reviews = Reviews(host) - before;
        using var stillServed = await host.GetAsync("acme");
        TestContext.Current.TestOutputHelper?.WriteLine($"1000 random tokens in {clock.Elapsed.TotalSeconds:F1} s: {reviews} TokenReviews (bound {Burst} + {PerSecond}/s)");

        // The bound: the address bucket's burst plus its refill over the run (plus one refill period of rounding).
        Assert.InRange(reviews, 1, Burst + (PerSecond * (seconds + 1)));
        Assert.Equal(1000, codes.GetValueOrDefault(HttpStatusCode.Unauthorized) + codes.GetValueOrDefault(HttpStatusCode.TooManyRequests));
        Assert.True(codes.GetValueOrDefault(HttpStatusCode.TooManyRequests) > 0);
        // A caller whose token was reviewed before is answered from the cache, not from the exhausted address bucket.
        Assert.Equal(HttpStatusCode.OK, stillServed.StatusCode);
    }

    [Fact]
    public async Task A_refused_token_is_reviewed_once_while_its_refusal_is_cached()
    {
        await using var host = await EndpointHost.StartAsync(postgres);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);

        for (var i = 0; i < 5; i++)
        {
            using var response = await host.GetAsync("acme", "tok-not-registered-e4f1");
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }

        Assert.Equal(1, Reviews(host));
    }

    [Fact]
    public async Task Token_reviews_ask_for_the_configured_audience()
    {
        await using var host = await EndpointHost.StartAsync(postgres, new Dictionary<string, string?> { ["RESOLVER_TOKEN_AUDIENCE"] = "resolver.example" });
        host.Api.RegisterToken("tok-custom", EndpointHost.AllowedUser, audiences: ["resolver.example"]);
        host.Api.RegisterToken("tok-default", EndpointHost.AllowedUser, audiences: [ConnectionEndpointOptions.DefaultAudience]);
        await host.AddTenantAsync("acme", CatalogTenantStatus.Active, Password);

        using var custom = await host.GetAsync("acme", "tok-custom");
        using var other = await host.GetAsync("acme", "tok-default");

        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.Unauthorized), (custom.StatusCode, other.StatusCode));
    }

    private static int Reviews(EndpointHost host) => host.Api.CountRequests("create", "/apis/authentication.k8s.io/v1/tokenreviews");

    private static async Task<string> BodyAsync(HttpResponseMessage response) =>
        await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

    private static string Normalize(string body, string slug) => body.Replace(slug, "<slug>", StringComparison.Ordinal);

    private static async Task AddTenantObjectAsync(
        EndpointHost host, string ns, string name, Guid? tenantId, Dictionary<string, string>? labels, CancellationToken cancellationToken, string? slug = null)
    {
        var client = host.Api.CreateClient();
        try
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: cancellationToken);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
        }

        var tenant = new Tenant
        {
            Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = ns, Labels = labels },
            Spec = new TenantSpec { Slug = slug ?? name, DisplayName = name },
        };
        var created = await client.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(
            tenant, Tenant.ApiGroup, Tenant.ApiVersionName, ns, Tenant.Plural, cancellationToken: cancellationToken);
        if (tenantId is { } id)
        {
            // What the operator writes once the Tenant holds the catalog row.
            created.Status = new TenantStatus { TenantId = id.ToString(), Slug = slug ?? name, Phase = TenantPhases.Active };
            await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(
                created, Tenant.ApiGroup, Tenant.ApiVersionName, ns, Tenant.Plural, name, cancellationToken: cancellationToken);
        }
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }
    }
}
