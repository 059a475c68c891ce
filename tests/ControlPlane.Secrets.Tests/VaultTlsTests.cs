using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Tests.Fakes;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>VAULT_CACERT: Vault's certificate is trusted through the given private CA, and only through it.</summary>
public sealed class VaultTlsTests
{
    private static readonly SecretReference Reference = SecretReference.Parse("vault:secret/econt/tenants/acme#password");

    [Fact]
    public async Task Vault_behind_a_private_ca_is_reached_when_its_ca_file_is_configured()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        await using var vault = await FakeVaultServer.StartAsync(TimeProvider.System, ct, certificates.Server);
        var caFile = certificates.WriteAuthorityPem(Path.GetTempFileName());
        try
        {
            await using var host = Host(vault, caFile);
            await host.Store.WriteAsync(Reference, new SecretValue("tls-value-00000000000000000000000000"), new SecretOwner("acme"), ct);

            Assert.Equal("tls-value-00000000000000000000000000", (await host.Store.ReadAsync(Reference, ct)).Reveal());
            Assert.Equal("https", vault.Address.Scheme);
        }
        finally
        {
            File.Delete(caFile);
        }
    }

    [Fact]
    public async Task Vault_behind_a_private_ca_is_refused_without_the_ca_or_with_another_ca()
    {
        var ct = TestContext.Current.CancellationToken;
        using var certificates = TestCertificates.Create();
        using var stranger = TestCertificates.Create("some other CA");
        await using var vault = await FakeVaultServer.StartAsync(TimeProvider.System, ct, certificates.Server);
        var otherCaFile = stranger.WriteAuthorityPem(Path.GetTempFileName());
        try
        {
            foreach (var caFile in new[] { null, otherCaFile })
            {
                await using var host = Host(vault, caFile);
                var error = await Assert.ThrowsAsync<SecretBackendUnavailableException>(() => host.Store.ReadAsync(Reference, ct));
                Assert.Contains("SecureConnectionError", error.Message, StringComparison.Ordinal);
            }

            Assert.Empty(vault.Requests);
        }
        finally
        {
            File.Delete(otherCaFile);
        }
    }

    private static SecretStoreHost Host(FakeVaultServer vault, string? caFile) => SecretStoreHost.Create(new Dictionary<string, string?>
    {
        ["ENVIRONMENT"] = "prod",
        ["SECRET_MANAGER_BACKEND"] = "vault",
        ["SECRET_MANAGER_ENDPOINT"] = vault.Address.ToString(),
        ["VAULT_TOKEN"] = vault.IssueToken(TimeSpan.Zero),
        ["VAULT_CACERT"] = caFile,
        ["VAULT_MAX_ATTEMPTS"] = "1",
    });
}
