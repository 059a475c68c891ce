using ControlPlane.Core.Configuration;
using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Store.Connection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace ControlPlane.Secrets.Tests;

public sealed class SecretStoreOptionsTests
{
    public static TheoryData<string, string, string?, string> Refused => new()
    {
        { "prod", "mock", null, "SECRET_MANAGER_BACKEND=mock is allowed only with ENVIRONMENT=dev" },
        { "staging", "env", null, "SECRET_MANAGER_BACKEND=env is allowed only with ENVIRONMENT=dev" },
        { "prod", "vault", null, "SECRET_MANAGER_ENDPOINT is required" },
        { "staging", "vault", "http://vault:8200", "must use https" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Unsafe_settings_are_refused_at_start_up_with_a_message_saying_what_to_set(string environment, string backend, string? endpoint, string expected)
    {
        var failures = SecretStoreOptionsValidator.Failures(Read(new()
        {
            ["ENVIRONMENT"] = environment,
            ["SECRET_MANAGER_BACKEND"] = backend,
            ["SECRET_MANAGER_ENDPOINT"] = endpoint,
            ["VAULT_K8S_ROLE"] = "econt-control-plane",
        }));

        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dev", "mock")]
    [InlineData("dev", "env")]
    [InlineData("prod", "k8s")]
    [InlineData("prod", "kubernetes")]
    public void Safe_settings_pass(string environment, string backend)
    {
        Assert.Empty(SecretStoreOptionsValidator.Failures(Read(new() { ["ENVIRONMENT"] = environment, ["SECRET_MANAGER_BACKEND"] = backend })));
    }

    [Fact]
    public void Production_vault_with_https_and_kubernetes_auth_passes_and_uses_the_kubernetes_method()
    {
        var options = Read(new()
        {
            ["ENVIRONMENT"] = "prod",
            ["SECRET_MANAGER_BACKEND"] = "vault",
            ["SECRET_MANAGER_ENDPOINT"] = "https://vault.vault.svc:8200",
            ["VAULT_K8S_ROLE"] = "econt-control-plane",
        });

        Assert.Empty(SecretStoreOptionsValidator.Failures(options));
        Assert.Equal(VaultAuthMethod.Kubernetes, options.Vault.AuthMethod);
        Assert.False(options.IsEnabled(SecretBackendKind.Mock));
        Assert.False(options.IsEnabled(SecretBackendKind.Env));
        Assert.True(options.IsEnabled(SecretBackendKind.Vault));
    }

    [Theory]
    [InlineData("consul", "must be one of vault, k8s, aws, gcp, azure, env, mock")]
    [InlineData("keyvault", "must be one of vault, k8s, aws, gcp, azure, env, mock")]
    public void Unknown_backends_are_refused_while_reading(string backend, string expected)
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(new() { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = backend }));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Production_without_a_backend_is_refused()
    {
        var error = Assert.Throws<ConfigurationException>(() => Read(new() { ["ENVIRONMENT"] = "prod" }));
        Assert.Contains("SECRET_MANAGER_BACKEND is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("301")]
    public void Cache_ttl_outside_its_bounds_is_refused(string seconds)
    {
        Assert.Contains(
            SecretStoreOptionsValidator.Failures(Read(new() { ["SECRET_CACHE_TTL_SECONDS"] = seconds })),
            f => f.Contains("SECRET_CACHE_TTL_SECONDS", StringComparison.Ordinal));
    }

    [Fact]
    public void Vault_token_auth_without_a_token_is_refused_and_a_token_never_appears_in_messages()
    {
        var failures = SecretStoreOptionsValidator.Failures(Read(new() { ["SECRET_MANAGER_BACKEND"] = "vault" })).ToList();
        Assert.Contains(failures, f => f.Contains("VAULT_TOKEN or VAULT_TOKEN_FILE", StringComparison.Ordinal));

        var withToken = Read(new() { ["SECRET_MANAGER_BACKEND"] = "vault", ["VAULT_TOKEN"] = "hvs.not-a-real-token", ["SECRET_CACHE_TTL_SECONDS"] = "0" });
        Assert.All(SecretStoreOptionsValidator.Failures(withToken), f => Assert.DoesNotContain("hvs.not-a-real-token", f, StringComparison.Ordinal));
        Assert.Equal(SecretStoreConfiguration.DevVaultAddress, withToken.Vault.Address);
    }

    [Fact]
    public void The_host_refuses_to_resolve_the_store_with_mock_in_prod()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "prod",
            ["SECRET_MANAGER_BACKEND"] = "mock",
        }).Build();
        using var provider = new ServiceCollection().AddLogging().AddSecretStores(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SecretStoreOptions>>().Value);
        Assert.Contains("allowed only with ENVIRONMENT=dev", error.Message, StringComparison.Ordinal);
    }

    private static SecretStoreOptions Read(Dictionary<string, string?> settings) =>
        SecretStoreConfiguration.Read(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
}
