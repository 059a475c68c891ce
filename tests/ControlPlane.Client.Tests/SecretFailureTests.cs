using ControlPlane.Core.Secrets;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets;
using ControlPlane.Store.Catalog;
using ControlPlane.Testing;

namespace ControlPlane.Client.Tests;

/// <summary>A secret manager that fails yields a clear error naming the tenant and the reference, never a partial connection.</summary>
public sealed class SecretFailureTests(PostgresFixture postgres)
{
    [Fact]
    public async Task A_missing_secret_is_a_clear_permanent_error_and_is_not_cached()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var harness = await ResolverHarness.CreateAsync(postgres);
        await using var resolver = harness.CreateResolver();
        await resolver.StartAsync(cancellationToken);
        await harness.AddTenantAsync("acme", CatalogTenantStatus.Active, secretRef: "mock:never-written");

        var error = await Assert.ThrowsAsync<TenantResolutionException>(() => resolver.ResolveAsync("acme", cancellationToken));

        Assert.Equal((ResolutionFailure.Secret, "acme", false), (error.Failure, error.Slug, error.IsTransient));
        Assert.Contains("acme", error.Message, StringComparison.Ordinal);
        Assert.Contains("mock:never-written", error.Message, StringComparison.Ordinal);
        Assert.IsType<SecretNotFoundException>(error.InnerException);

        // Once the secret exists the very next resolve succeeds: the failure was not remembered.
        await harness.Secrets.WriteAsync(SecretReference.Parse("mock:never-written"), new SecretValue("n0w-it-exists"), new SecretOwner("acme"), cancellationToken);
        var connection = Assert.IsType<ResolveResult.Resolved>(await resolver.ResolveAsync("acme", cancellationToken)).Connection;
        Assert.Equal("n0w-it-exists", connection.Password.Reveal());
    }

    [Fact]
    public async Task A_kubernetes_secret_backend_outage_is_a_transient_error_without_any_connection_data()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var api = await KubeApiServer.StartAsync(cancellationToken: cancellationToken);
        await using var harness = await ResolverHarness.CreateAsync(postgres, api.CreateClient());
        await using var resolver = harness.CreateResolver();
        var reference = await harness.WriteKubernetesSecretAsync("acme", "K8s-Pa55word");
        await harness.AddTenantAsync("acme", CatalogTenantStatus.Active, secretRef: reference.ToString());

        api.FailNext("get", "/api/v1/namespaces/econt-tenants/secrets/tenant-acme-db", 503, count: 10);
        var error = await Assert.ThrowsAsync<TenantResolutionException>(() => resolver.ResolveAsync("acme", cancellationToken));

        Assert.Equal((ResolutionFailure.Secret, true), (error.Failure, error.IsTransient));
        Assert.Contains(reference.ToString(), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("db.internal", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("K8s-Pa55word", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("K8s-Pa55word", harness.Logs.All, StringComparison.Ordinal);
        Assert.Contains(harness.Logs.Lines, line => line.Contains("[4004]", StringComparison.Ordinal));
    }
}
