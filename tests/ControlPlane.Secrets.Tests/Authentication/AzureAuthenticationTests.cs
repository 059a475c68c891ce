using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Tests.Contract;
using ControlPlane.Secrets.Tests.Fakes;
using Xunit;

namespace ControlPlane.Secrets.Tests.Authentication;

/// <summary>
/// The operator's Entra ID identity: Azure Workload Identity (the projected token is the client assertion of a
/// client-credentials grant) and a client secret, through the Key Vault SDK's challenge-based authentication.
/// </summary>
public sealed class AzureAuthenticationTests : IAsyncLifetime
{
    private const string ProjectedToken = "eyJhbGciOiJSUzI1NiIsImtpZCI6ImF6dXJlIn0.projected-service-account-token.signature";
    private static readonly SecretOwner Acme = new("acme");
    private static readonly SecretReference Reference = SecretReference.Parse("azure:econt-kv/tenant-acme-db#password");
    private FakeAzureServer _azure = null!;
    private readonly List<string> _files = [];

    public async ValueTask InitializeAsync() => _azure = await FakeAzureServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _azure.DisposeAsync();
        _files.ForEach(File.Delete);
    }

    [Fact]
    public async Task Workload_identity_exchanges_the_federated_token_file_for_a_Key_Vault_token_once()
    {
        _azure.FederatedTokens[ProjectedToken] = true;
        var backend = AzureBackendContractTests.Backend(_azure, WorkloadIdentity(Write(ProjectedToken)));
        var ct = TestContext.Current.CancellationToken;

        await backend.WriteAsync(Reference, new SecretValue("from-workload-identity-00"), Acme, ct);
        Assert.Equal("from-workload-identity-00", (await backend.ReadAsync(Reference, ct)).Reveal());

        Assert.Equal(1, _azure.TokensIssued);           // cached by the credential for its lifetime
        Assert.Equal(1, _azure.Challenges);             // the first request is unauthenticated and gets the challenge
        Assert.NotEmpty(_azure.ApiVersionsSeen);
    }

    [Fact]
    public async Task A_federated_token_Entra_does_not_trust_is_access_denied_and_stores_nothing()
    {
        var backend = AzureBackendContractTests.Backend(_azure, WorkloadIdentity(Write("eyJhbGciOiJSUzI1NiJ9.a-token-nobody-federated.sig")));

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() =>
            backend.WriteAsync(Reference, new SecretValue("never-stored-00000000"), Acme, TestContext.Current.CancellationToken));

        Assert.False(error.IsTransient);
        Assert.Contains("AZURE_CLIENT_ID", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("a-token-nobody-federated", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _azure.TokensIssued);
        Assert.Equal(0, _azure.VersionCount("econt-kv", "tenant-acme-db"));
    }

    [Fact]
    public async Task A_wrong_client_secret_is_access_denied_and_the_secret_is_not_in_the_message()
    {
        var options = AzureBackendContractTests.Options(_azure);
        options.ClientSecret = new SecretValue("not-the-client-secret-000");
        var backend = AzureBackendContractTests.Backend(_azure, options);

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() => backend.ReadAsync(Reference, TestContext.Current.CancellationToken));

        Assert.DoesNotContain("not-the-client-secret-000", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _azure.TokensIssued);
    }

    [Fact]
    public async Task A_missing_federated_token_file_is_access_denied_before_any_token_is_issued()
    {
        var backend = AzureBackendContractTests.Backend(_azure, WorkloadIdentity(Path.Combine(Path.GetTempPath(), $"absent-{Guid.NewGuid():N}")));

        await Assert.ThrowsAsync<SecretAccessDeniedException>(() => backend.ReadAsync(Reference, TestContext.Current.CancellationToken));
        Assert.Equal(0, _azure.TokensIssued);
    }

    private KeyVault.AzureKeyVaultOptions WorkloadIdentity(string tokenFile)
    {
        var options = AzureBackendContractTests.Options(_azure);
        options.ClientSecret = null;
        options.FederatedTokenFile = tokenFile;
        return options;
    }

    private string Write(string content)
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, content);
        _files.Add(path);
        return path;
    }
}
