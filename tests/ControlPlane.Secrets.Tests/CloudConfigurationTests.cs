using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Tests.Fakes;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>The cloud backends as the operator configures them: from environment variables, through the production registration.</summary>
public sealed class CloudConfigurationTests
{
    [Fact]
    public async Task With_SECRET_MANAGER_BACKEND_aws_tenant_passwords_are_generated_into_Secrets_Manager()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var aws = await FakeAwsServer.StartAsync(ct);
        await using var host = SecretStoreHost.Create(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "prod",
            ["SECRET_MANAGER_BACKEND"] = "aws",
            ["AWS_REGION"] = "eu-central-1",
            ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = aws.Address.ToString(),
            ["AWS_ACCESS_KEY_ID"] = FakeAwsServer.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = FakeAwsServer.SecretAccessKey,
        });

        var reference = host.Services.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase("acme");
        var password = await host.Store.EnsureGeneratedPasswordAsync(reference, new SecretOwner("acme"), ct);

        Assert.Equal("aws:eu-central-1/econt/tenants/acme#password", reference.ToString());
        Assert.Equal(password, await host.Store.ReadAsync(reference, ct));
        Assert.Equal(1, aws.VersionCount("eu-central-1", "econt/tenants/acme"));
    }

    [Fact]
    public void Aws_without_credentials_or_region_and_gcp_without_a_project_are_refused_at_start()
    {
        var aws = Failures(new() { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "aws" });
        var gcp = Failures(new() { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "gcp" });
        var half = Failures(new() { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "k8s", ["AWS_ROLE_ARN"] = "arn:aws:iam::1:role/x" });

        Assert.Contains(aws, f => f.Contains("AWS_REGION", StringComparison.Ordinal));
        Assert.Contains(aws, f => f.Contains("AWS_WEB_IDENTITY_TOKEN_FILE", StringComparison.Ordinal));
        Assert.Contains(gcp, f => f.Contains("SECRET_GCP_PROJECT", StringComparison.Ordinal));
        Assert.Contains(half, f => f.Contains("go together", StringComparison.Ordinal));
    }

    [Fact]
    public void Gcp_generates_references_into_the_configured_project()
    {
        var options = SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "prod",
            ["SECRET_MANAGER_BACKEND"] = "gcp",
            ["SECRET_GCP_PROJECT"] = "econt-prod",
        }).Build());

        Assert.Empty(SecretStoreOptionsValidator.Failures(options));
        Assert.True(options.IsEnabled(SecretBackendKind.Gcp));
        Assert.False(options.IsEnabled(SecretBackendKind.Aws));
        Assert.Equal("gcp:econt-prod/tenant-acme-db#password",
            new SecretReferencePlanner(Microsoft.Extensions.Options.Options.Create(options)).ForTenantDatabase("acme").ToString());
    }

    [Fact]
    public async Task With_SECRET_MANAGER_BACKEND_azure_tenant_passwords_are_generated_into_Key_Vault_with_workload_identity()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var azure = await FakeAzureServer.StartAsync(ct);
        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, "eyJhbGciOiJSUzI1NiJ9.projected.sig", ct);
        azure.FederatedTokens["eyJhbGciOiJSUzI1NiJ9.projected.sig"] = true;
        try
        {
            await using var host = SecretStoreHost.Create(new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "prod",
                ["SECRET_MANAGER_BACKEND"] = "azure",
                ["SECRET_AZURE_VAULT"] = "econt-kv",
                ["SECRET_AZURE_VAULT_URL"] = azure.VaultUrl,
                ["AZURE_TENANT_ID"] = FakeAzureServer.TenantId,
                ["AZURE_CLIENT_ID"] = FakeAzureServer.ClientId,
                ["AZURE_FEDERATED_TOKEN_FILE"] = tokenFile,
                ["AZURE_AUTHORITY_HOST"] = azure.AuthorityHost.ToString(),
            }, configure: services => services.AddKeyedSingleton<Azure.Core.Pipeline.HttpPipelineTransport>(SecretBackendKind.Azure, azure.Transport()));

            var reference = host.Services.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase("acme");
            var password = await host.Store.EnsureGeneratedPasswordAsync(reference, new SecretOwner("acme"), ct);

            Assert.Equal("azure:econt-kv/tenant-acme-db#password", reference.ToString());
            Assert.Equal(password, await host.Store.ReadAsync(reference, ct));
            Assert.Equal(1, azure.VersionCount("econt-kv", "tenant-acme-db"));
            Assert.Equal(1, azure.TokensIssued);
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }

    [Fact]
    public void Azure_without_a_vault_or_an_identity_or_with_two_identities_is_refused_at_start()
    {
        var bare = Failures(new() { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "azure" });
        var both = Failures(new()
        {
            ["ENVIRONMENT"] = "prod",
            ["SECRET_MANAGER_BACKEND"] = "azure",
            ["SECRET_AZURE_VAULT"] = "econt-kv",
            ["AZURE_TENANT_ID"] = "t",
            ["AZURE_CLIENT_ID"] = "c",
            ["AZURE_FEDERATED_TOKEN_FILE"] = "/var/run/secrets/azure/tokens/azure-identity-token",
            ["AZURE_CLIENT_SECRET"] = "s",
        });
        var badName = Failures(new() { ["ENVIRONMENT"] = "dev", ["SECRET_MANAGER_BACKEND"] = "azure", ["SECRET_AZURE_VAULT"] = "9-not-a-vault-name" });

        Assert.Contains(bare, f => f.Contains("SECRET_AZURE_VAULT", StringComparison.Ordinal));
        Assert.Contains(bare, f => f.Contains("AZURE_FEDERATED_TOKEN_FILE", StringComparison.Ordinal));
        Assert.Single(both);
        Assert.Contains("both set", both[0], StringComparison.Ordinal);
        Assert.Contains(badName, f => f.Contains("Key Vault name", StringComparison.Ordinal));
        Assert.Throws<ConfigurationException>(() => SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(
            new Dictionary<string, string?> { ["SECRET_AZURE_VAULT_URL"] = "http://{vault}.vault.azure.net/" }).Build()));
        Assert.Throws<ConfigurationException>(() => SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(
            new Dictionary<string, string?> { ["SECRET_AZURE_VAULT_URL"] = "https://one-vault.vault.azure.net/" }).Build()));
    }

    [Fact]
    public void Azure_references_are_served_only_with_an_identity()
    {
        var none = SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ENVIRONMENT"] = "dev" }).Build());
        var secret = SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["AZURE_TENANT_ID"] = "t",
            ["AZURE_CLIENT_ID"] = "c",
            ["AZURE_CLIENT_SECRET"] = "s",
        }).Build());

        Assert.False(none.IsEnabled(SecretBackendKind.Azure));
        Assert.True(secret.IsEnabled(SecretBackendKind.Azure));
        Assert.Equal(new Uri("https://econt-kv.vault.azure.net/"), secret.Azure.VaultUri("econt-kv"));
    }

    private static List<string> Failures(Dictionary<string, string?> settings) =>
        SecretStoreOptionsValidator.Failures(SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build())).ToList();
}
