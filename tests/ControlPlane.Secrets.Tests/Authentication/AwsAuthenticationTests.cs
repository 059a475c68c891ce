using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Aws;
using ControlPlane.Secrets.Tests.Contract;
using ControlPlane.Secrets.Tests.Fakes;
using Xunit;

namespace ControlPlane.Secrets.Tests.Authentication;

/// <summary>The operator's AWS identity: IRSA's web identity token exchanged at (fake) STS, and signatures the fake verifies.</summary>
public sealed class AwsAuthenticationTests : IAsyncLifetime
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/econt-controlplane";
    private static readonly SecretOwner Acme = new("acme");
    private static readonly SecretReference Reference = SecretReference.Parse("aws:eu-west-1/econt/tenants/acme#password");
    private FakeAwsServer _aws = null!;
    private string _tokenFile = null!;

    public async ValueTask InitializeAsync()
    {
        _aws = await FakeAwsServer.StartAsync(TestContext.Current.CancellationToken);
        _tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_tokenFile, "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token\n", TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _aws.DisposeAsync();
        File.Delete(_tokenFile);
    }

    [Fact]
    public async Task The_projected_token_is_exchanged_at_STS_and_the_temporary_keys_sign_requests()
    {
        _aws.WebIdentityRoles[RoleArn] = "eyJhbGciOiJSUzI1NiJ9.projected-service-account-token";
        var backend = AwsBackendContractTests.Backend(_aws, WebIdentity());
        var ct = TestContext.Current.CancellationToken;

        await backend.WriteAsync(Reference, new SecretValue("from-web-identity-00000000"), Acme, ct);
        Assert.Equal("from-web-identity-00000000", (await backend.ReadAsync(Reference, ct)).Reveal());
        // One exchange serves every request until the temporary keys near their expiry.
        Assert.Equal(1, _aws.StsExchanges);
    }

    [Fact]
    public async Task A_token_STS_does_not_accept_never_reaches_secrets_manager()
    {
        _aws.WebIdentityRoles[RoleArn] = "a-different-token";
        var backend = AwsBackendContractTests.Backend(_aws, WebIdentity());

        await Assert.ThrowsAnyAsync<Exception>(() => backend.ReadAsync(Reference, TestContext.Current.CancellationToken));
        Assert.Equal(0, _aws.StsExchanges);
        Assert.Equal(0, _aws.VersionCount("eu-west-1", "econt/tenants/acme"));
    }

    [Fact]
    public async Task A_request_signed_with_the_wrong_secret_key_is_refused_as_access_denied()
    {
        var backend = AwsBackendContractTests.Backend(_aws, new AwsSecretsOptions
        {
            Region = "eu-west-1",
            Endpoint = _aws.Address,
            AccessKeyId = FakeAwsServer.AccessKeyId,
            SecretAccessKey = new SecretValue("not-the-right-secret-access-key"),
        });

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() => backend.ReadAsync(Reference, TestContext.Current.CancellationToken));
        Assert.Contains("InvalidSignatureException", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("not-the-right", error.Message, StringComparison.Ordinal);
    }

    private AwsSecretsOptions WebIdentity() => new()
    {
        Region = "eu-west-1",
        Endpoint = _aws.Address,
        StsEndpoint = _aws.Address,
        RoleArn = RoleArn,
        WebIdentityTokenFile = _tokenFile,
    };
}
