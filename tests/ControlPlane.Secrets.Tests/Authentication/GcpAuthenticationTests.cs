using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Tests.Contract;
using ControlPlane.Secrets.Tests.Fakes;
using Xunit;

namespace ControlPlane.Secrets.Tests.Authentication;

/// <summary>The operator's Google identity: GKE Workload Identity (metadata server) and workload identity federation (STS token exchange).</summary>
public sealed class GcpAuthenticationTests : IAsyncLifetime
{
    private static readonly SecretOwner Acme = new("acme");
    private static readonly SecretReference Reference = SecretReference.Parse("gcp:econt-prod/tenant-acme-db#password");
    private FakeGcpServer _gcp = null!;
    private readonly List<string> _files = [];

    public async ValueTask InitializeAsync() => _gcp = await FakeGcpServer.StartAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _gcp.DisposeAsync();
        _files.ForEach(File.Delete);
    }

    [Fact]
    public async Task Without_a_credentials_file_the_metadata_server_token_of_GKE_Workload_Identity_is_used()
    {
        var backend = GcpBackendContractTests.Backend(_gcp, credentialsFile: null, metadataHost: _gcp.Address.Authority);
        var ct = TestContext.Current.CancellationToken;

        await backend.WriteAsync(Reference, new SecretValue("from-metadata-server-0000"), Acme, ct);
        Assert.Equal("from-metadata-server-0000", (await backend.ReadAsync(Reference, ct)).Reveal());
        Assert.Equal(1, _gcp.TokenExchanges);
    }

    [Fact]
    public async Task A_pod_without_Workload_Identity_gets_no_token_and_stores_nothing()
    {
        _gcp.MetadataServerEnabled = false;
        var backend = GcpBackendContractTests.Backend(_gcp, credentialsFile: null, metadataHost: _gcp.Address.Authority);

        await Assert.ThrowsAnyAsync<Exception>(() => backend.WriteAsync(Reference, new SecretValue("never-0000000000000"), Acme, TestContext.Current.CancellationToken));
        Assert.Equal(0, _gcp.VersionCount("econt-prod", "tenant-acme-db"));
    }

    [Fact]
    public async Task An_external_account_exchanges_the_projected_token_at_Google_STS()
    {
        var subject = Write("eyJhbGciOiJSUzI1NiJ9.projected-token-for-google");
        _gcp.FederatedSubjectTokens["eyJhbGciOiJSUzI1NiJ9.projected-token-for-google"] = true;
        var backend = GcpBackendContractTests.Backend(_gcp, Write(_gcp.ExternalAccountJson(subject)));
        var ct = TestContext.Current.CancellationToken;

        await backend.WriteAsync(Reference, new SecretValue("from-federation-000000000"), Acme, ct);
        Assert.Equal("from-federation-000000000", (await backend.ReadAsync(Reference, ct)).Reveal());
        Assert.Equal(1, _gcp.TokenExchanges);
    }

    [Fact]
    public async Task A_token_Google_does_not_issue_is_refused_as_unauthenticated()
    {
        var subject = Write("a-token-sts-does-not-know");
        var backend = GcpBackendContractTests.Backend(_gcp, Write(_gcp.ExternalAccountJson(subject)));

        await Assert.ThrowsAnyAsync<Exception>(() => backend.ReadAsync(Reference, TestContext.Current.CancellationToken));
        Assert.Equal(0, _gcp.TokenExchanges);
    }

    [Fact]
    public async Task A_credentials_file_of_another_type_is_refused_before_any_request()
    {
        var backend = GcpBackendContractTests.Backend(_gcp, Write("{\"type\":\"authorized_user\",\"refresh_token\":\"x\"}"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => backend.ReadAsync(Reference, TestContext.Current.CancellationToken));
        Assert.Contains("service_account", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _gcp.RequestCount);
    }

    private string Write(string content)
    {
        var path = Path.GetTempFileName();
        File.WriteAllText(path, content);
        _files.Add(path);
        return path;
    }
}
