using ControlPlane.Core.Secrets;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets.Tests.Fakes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>
/// Each backend goes through ensure → read → rotate → read → write → read → delete while every log line
/// (all levels, structured values, exceptions) is captured; no password, token or JWT may appear in it.
/// </summary>
public sealed class SecretCycleLogTests
{
    private static readonly SecretOwner Acme = new("acme");

    [Fact]
    public async Task The_mock_backend_cycle_logs_no_password()
    {
        await using var host = SecretStoreHost.Create(new Dictionary<string, string?> { ["ENVIRONMENT"] = "dev", ["SECRET_MANAGER_BACKEND"] = "mock" });
        await RunCycleAsync(host);
    }

    [Fact]
    public async Task The_vault_backend_cycle_logs_no_password_token_or_jwt()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var vault = await FakeVaultServer.StartAsync(TimeProvider.System, ct);
        const string jwt = "eyJhbGciOiJSUzI1NiJ9.cycle-service-account.jwt";
        vault.KubernetesRoles["econt-control-plane"] = jwt;
        var jwtFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(jwtFile, jwt, ct);
        try
        {
            await using var host = SecretStoreHost.Create(new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "dev",
                ["SECRET_MANAGER_BACKEND"] = "vault",
                ["SECRET_MANAGER_ENDPOINT"] = vault.Address.ToString(),
                ["VAULT_K8S_ROLE"] = "econt-control-plane",
                ["VAULT_K8S_JWT_FILE"] = jwtFile,
            });
            await RunCycleAsync(host, jwt);
            Assert.Contains("Logged in to Vault", host.Logs.All, StringComparison.Ordinal);

            // Every token the fake Vault issues starts with "hvs.": none reached a log line.
            Assert.DoesNotContain("hvs.", host.Logs.All, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(jwtFile);
        }
    }

    [Fact]
    public async Task The_kubernetes_backend_cycle_logs_no_password()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, ct);
        using var admin = server.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "econt-tenants" } }, cancellationToken: ct);
        await using var host = SecretStoreHost.Create(
            new Dictionary<string, string?> { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "k8s" },
            configure: services => services.AddSingleton<IKubernetes>(server.CreateClient()));
        await RunCycleAsync(host);
    }

    [Fact]
    public async Task The_env_backend_reads_without_logging_the_value_and_refuses_writes_clearly()
    {
        var ct = TestContext.Current.CancellationToken;
        var variable = "ECONT_SECRETS_TEST_" + Guid.NewGuid().ToString("N").ToUpperInvariant();
        var value = new PasswordGenerator().Generate().Reveal();
        Environment.SetEnvironmentVariable(variable, value);
        try
        {
            await using var host = SecretStoreHost.Create(new Dictionary<string, string?> { ["ENVIRONMENT"] = "dev", ["SECRET_MANAGER_BACKEND"] = "env" });
            var reference = SecretReference.Parse("env:" + variable);

            Assert.Equal(value, (await host.Store.ReadAsync(reference, ct)).Reveal());
            Assert.Equal(value, (await host.Store.EnsureGeneratedPasswordAsync(reference, Acme, ct)).Reveal());
            var refused = await Assert.ThrowsAsync<SecretBackendNotEnabledException>(() => host.Store.RotatePasswordAsync(reference, Acme, ct));
            Assert.Contains("read-only", refused.Message, StringComparison.Ordinal);
            await Assert.ThrowsAsync<SecretBackendNotEnabledException>(() => host.Store.DeleteAsync(reference, ct));

            Assert.Contains(variable, host.Logs.All, StringComparison.Ordinal);
            Assert.DoesNotContain(value, host.Logs.All, StringComparison.Ordinal);
        }
        finally
        {
            Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public async Task Outside_dev_env_and_mock_references_are_refused_even_for_reading()
    {
        await using var host = SecretStoreHost.Create(
            new Dictionary<string, string?> { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "k8s" },
            configure: services => services.AddSingleton<IKubernetes>(new k8s.Kubernetes(new KubernetesClientConfiguration { Host = "http://127.0.0.1:1" })));

        var error = await Assert.ThrowsAsync<SecretBackendNotEnabledException>(() =>
            host.Store.ReadAsync(SecretReference.Parse("mock:acme"), TestContext.Current.CancellationToken));
        Assert.Contains("exists only with ENVIRONMENT=dev", error.Message, StringComparison.Ordinal);
    }

    private static async Task RunCycleAsync(SecretStoreHost host, params string[] alsoSecret)
    {
        var ct = TestContext.Current.CancellationToken;
        var reference = host.Services.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase("acme");
        var secrets = new List<string>(alsoSecret);
        var errors = new List<string>();

        var generated = await host.Store.EnsureGeneratedPasswordAsync(reference, Acme, ct);
        secrets.Add(generated.Reveal());
        Assert.Equal(generated, await host.Store.ReadAsync(reference, ct));

        var rotated = await host.Store.RotatePasswordAsync(reference, Acme, ct);
        secrets.Add(rotated.Reveal());
        Assert.NotEqual(generated, rotated);
        Assert.Equal(rotated, await host.Store.ReadAsync(reference, ct));

        var written = new PasswordGenerator().Generate();
        secrets.Add(written.Reveal());
        await host.Store.WriteAsync(reference, written, Acme, ct);
        Assert.Equal(written, await host.Store.ReadAsync(reference, ct));

        Assert.Equal(SecretDeletion.Deleted, await host.Store.DeleteAsync(reference, ct));
        var gone = await Assert.ThrowsAsync<SecretNotFoundException>(() => host.Store.ReadAsync(reference, ct));
        errors.Add(gone.ToString());

        // The sink really captured the cycle (so the absence below means something) ...
        Assert.Contains(reference.ToString(), host.Logs.All, StringComparison.Ordinal);
        Assert.Contains("Rotated the password", host.Logs.All, StringComparison.Ordinal);

        // ... and no secret is in any log line or error text.
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, host.Logs.All, StringComparison.Ordinal);
            Assert.All(errors, e => Assert.DoesNotContain(secret, e, StringComparison.Ordinal));
        }
    }
}
