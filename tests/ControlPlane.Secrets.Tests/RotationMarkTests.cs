using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Dev;
using ControlPlane.Secrets.Tests.Contract;
using ControlPlane.Secrets.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>
/// A rotation writes one new version per request on every backend that keeps versions (issue 16): the request's mark
/// travels with the value, a retry of the same request gets the stored value back, and deleting the key takes its mark
/// along. The Kubernetes backend is covered end to end by the operator's rotation tests.
/// </summary>
public sealed class RotationMarkTests
{
    private static readonly SecretOwner Acme = new("acme");

    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("aws")]
    [InlineData("gcp")]
    [InlineData("azure")]
    [InlineData("mock")]
    public async Task A_retried_rotation_request_writes_no_second_version_and_a_new_request_does(string backend)
    {
        await using var harness = await StartAsync(backend);
        var reference = harness.Reference("rotating", "password");
        var generated = await harness.Backend.GetOrCreateAsync(reference, Password('g'), Acme, _ct);
        var versions = harness.Versions?.Invoke(reference);

        var first = await harness.Backend.GetOrRotateAsync(reference, Password('a'), "request:1", Acme, _ct);
        var retried = await harness.Backend.GetOrRotateAsync(reference, Password('b'), "request:1", Acme, _ct);
        var afterRetry = harness.Versions?.Invoke(reference);
        var second = await harness.Backend.GetOrRotateAsync(reference, Password('c'), "request:2", Acme, _ct);

        Assert.Equal(Password('a'), first);
        Assert.Equal(Password('a'), retried);
        Assert.Equal(Password('c'), second);
        Assert.NotEqual(generated, first);
        Assert.Equal(Password('c'), await harness.Backend.ReadAsync(reference, _ct));
        Assert.Equal(new MarkedSecretValue(Password('c'), "request:2"), await harness.Backend.ReadMarkedAsync(reference, _ct));
        if (versions is { } before)
        {
            Assert.Equal(before + 1, afterRetry);
            Assert.Equal(before + 2, harness.Versions!(reference));
        }

        Assert.Equal(SecretDeletion.Deleted, await harness.Backend.DeleteAsync(reference, _ct));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => harness.Backend.ReadAsync(reference, _ct));
        Assert.Equal(Password('d'), await harness.Backend.GetOrCreateAsync(reference, Password('d'), Acme, _ct));
    }

    [Theory]
    [InlineData("aws")]
    [InlineData("gcp")]
    [InlineData("azure")]
    [InlineData("mock")]
    public async Task A_marked_read_returns_the_value_with_its_rotation_and_no_mark_for_a_value_never_rotated(string backend)
    {
        await using var harness = await StartAsync(backend);
        var generated = harness.Reference("marked", "password");
        var sibling = harness.Reference("marked", "password.pending");
        var value = await harness.Backend.GetOrCreateAsync(generated, Password('g'), Acme, _ct);

        Assert.Equal(new MarkedSecretValue(value, null), await harness.Backend.ReadMarkedAsync(generated, _ct));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => harness.Backend.ReadMarkedAsync(harness.Reference("absent", "password"), _ct));

        // A sibling key (the admin password's pending entry) keeps its own mark and leaves the first key's alone.
        await harness.Backend.GetOrRotateAsync(sibling, Password('p'), "admin:2026-12-02T03:00:00Z:0a0b0c0d", Acme, _ct);
        Assert.Equal(new MarkedSecretValue(Password('p'), "admin:2026-12-02T03:00:00Z:0a0b0c0d"), await harness.Backend.ReadMarkedAsync(sibling, _ct));
        Assert.Equal(new MarkedSecretValue(value, null), await harness.Backend.ReadMarkedAsync(generated, _ct));
        Assert.Equal(SecretDeletion.Deleted, await harness.Backend.DeleteAsync(sibling, _ct));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => harness.Backend.ReadMarkedAsync(sibling, _ct));
        Assert.Equal(value, await harness.Backend.ReadAsync(generated, _ct));
    }

    [Fact]
    public async Task Vault_keeps_the_mark_in_the_same_kv_version_and_deletes_it_with_the_key()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        await using var vault = await FakeVaultServer.StartAsync(clock, _ct);
        await using var host = SecretStoreHost.Create(
            new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "dev",
                ["SECRET_MANAGER_BACKEND"] = "vault",
                ["SECRET_MANAGER_ENDPOINT"] = vault.Address.ToString(),
                ["VAULT_TOKEN"] = vault.IssueToken(TimeSpan.Zero),
            },
            clock,
            services => services.PostConfigure<SecretStoreOptions>(o => o.Vault.RetryBaseDelay = TimeSpan.FromMilliseconds(5)));
        var reference = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        var generated = await host.Store.EnsureGeneratedPasswordAsync(reference, Acme, _ct);

        var rotated = await host.Store.EnsureRotatedPasswordAsync(reference, "request:1", Acme, _ct);
        var retried = await host.Store.EnsureRotatedPasswordAsync(reference, "request:1", Acme, _ct);

        Assert.NotEqual(generated, rotated);
        Assert.Equal(rotated, retried);
        Assert.Equal(2, vault.CurrentVersion("secret/econt/tenants/acme"));
        Assert.Equal("request:1", vault.LatestData("secret/econt/tenants/acme")![RotationMarks.DataKey("password")]);
        Assert.Equal(new MarkedSecretValue(rotated, "request:1"), await host.Store.ReadMarkedAsync(reference, _ct));
        Assert.Equal(rotated, await host.Store.ReadAsync(reference, _ct));

        Assert.Equal(SecretDeletion.Deleted, await host.Store.DeleteAsync(reference, _ct));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => host.Store.ReadAsync(reference, _ct));
    }

    private static SecretValue Password(char fill) => new(new string(fill, 32));

    private async Task<ContractHarness> StartAsync(string backend)
    {
        switch (backend)
        {
            case "aws":
                var aws = await FakeAwsServer.StartAsync(_ct);
                return new ContractHarness(AwsBackendContractTests.Backend(aws), (name, key) => SecretReference.Parse($"aws:eu-west-1/econt/tenants/{name}#{key}"))
                {
                    Versions = reference => aws.VersionCount(reference.Container, reference.Name),
                    Dispose = aws.DisposeAsync,
                };
            case "gcp":
                var gcp = await FakeGcpServer.StartAsync(_ct);
                var keyFile = Path.GetTempFileName();
                await File.WriteAllTextAsync(keyFile, gcp.ServiceAccountJson(), _ct);
                return new ContractHarness(GcpBackendContractTests.Backend(gcp, keyFile), (name, key) => SecretReference.Parse($"gcp:econt-prod/{name}#{key}"))
                {
                    Versions = reference => gcp.VersionCount(reference.Container, reference.Name),
                    Dispose = async () =>
                    {
                        await gcp.DisposeAsync();
                        File.Delete(keyFile);
                    },
                };
            case "azure":
                var azure = await FakeAzureServer.StartAsync(_ct);
                return new ContractHarness(AzureBackendContractTests.Backend(azure), (name, key) => SecretReference.Parse($"azure:econt-kv/{name}#{key}"))
                {
                    Versions = reference => azure.VersionCount(reference.Container, reference.Name),
                    Dispose = azure.DisposeAsync,
                };
            default:
                return new ContractHarness(new MockSecretBackend(), (name, key) => SecretReference.Parse($"mock:{name}-{key}"));
        }
    }
}
