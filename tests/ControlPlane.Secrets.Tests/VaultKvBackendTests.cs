using ControlPlane.Core.Secrets;
using ControlPlane.Secrets.Configuration;
using ControlPlane.Secrets.Tests.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>The Vault backend, through the production DI registration, against the in-process fake Vault.</summary>
public sealed class VaultKvBackendTests : IAsyncLifetime
{
    private static readonly SecretOwner Acme = new("acme");
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private FakeVaultServer _vault = null!;
    private string _jwtFile = null!;

    public async ValueTask InitializeAsync()
    {
        _vault = await FakeVaultServer.StartAsync(_clock, TestContext.Current.CancellationToken);
        _jwtFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_jwtFile, "eyJhbGciOiJSUzI1NiJ9.service-account.jwt\n", TestContext.Current.CancellationToken);
        _vault.KubernetesRoles["econt-control-plane"] = "eyJhbGciOiJSUzI1NiJ9.service-account.jwt";
    }

    public async ValueTask DisposeAsync()
    {
        await _vault.DisposeAsync();
        File.Delete(_jwtFile);
    }

    [Fact]
    public async Task Each_write_creates_a_new_kv_version_and_other_keys_of_the_path_survive()
    {
        await using var host = TokenHost();
        var password = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        var user = SecretReference.Parse("vault:secret/econt/tenants/acme#username");
        var ct = TestContext.Current.CancellationToken;

        await host.Store.WriteAsync(password, new SecretValue("first-value-000000000000000000000"), Acme, ct);
        await host.Store.WriteAsync(user, new SecretValue("acme_owner"), Acme, ct);
        await host.Store.WriteAsync(password, new SecretValue("second-value-11111111111111111111"), Acme, ct);

        Assert.Equal(3, _vault.CurrentVersion("secret/econt/tenants/acme"));
        Assert.Equal("second-value-11111111111111111111", _vault.LatestData("secret/econt/tenants/acme")!["password"]);
        Assert.Equal("acme_owner", _vault.LatestData("secret/econt/tenants/acme")!["username"]);
        Assert.Equal("second-value-11111111111111111111", (await host.Store.ReadAsync(password, ct)).Reveal());
        Assert.All(_vault.Requests, r => Assert.Equal("econt/ops", r.Namespace));
    }

    [Fact]
    public async Task A_missing_path_or_key_is_not_found_with_one_message_naming_the_reference()
    {
        await using var host = TokenHost();
        var ct = TestContext.Current.CancellationToken;
        var missing = SecretReference.Parse("vault:secret/econt/tenants/nobody#password");

        var error = await Assert.ThrowsAsync<SecretNotFoundException>(() => host.Store.ReadAsync(missing, ct));
        Assert.Contains("vault:secret/econt/tenants/nobody#password", error.Message, StringComparison.Ordinal);

        await host.Store.WriteAsync(SecretReference.Parse("vault:secret/econt/tenants/nobody#username"), new SecretValue("x"), Acme, ct);
        var noKey = await Assert.ThrowsAsync<SecretNotFoundException>(() => host.Store.ReadAsync(missing, ct));
        Assert.Equal(error.Message, noKey.Message);   // a missing key reads like a missing path: errors do not map what exists
    }

    [Fact]
    public async Task A_policy_denial_is_access_denied_with_vaults_reason_and_without_the_token()
    {
        var token = _vault.IssueToken(TimeSpan.Zero);
        await using var host = TokenHost(token);
        _vault.DeniedPaths.Add("secret/data/forbidden");

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() =>
            host.Store.ReadAsync(SecretReference.Parse("vault:secret/forbidden/acme#password"), TestContext.Current.CancellationToken));

        Assert.Contains("permission denied", error.Message, StringComparison.Ordinal);
        Assert.Contains("secret/data/forbidden/acme", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(token, error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task Kubernetes_login_token_is_renewed_before_it_expires()
    {
        _vault.LoginTtl = TimeSpan.FromSeconds(60);
        await using var host = KubernetesHost();
        var ct = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        await host.Store.WriteAsync(reference, new SecretValue("value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Acme, ct);

        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal("value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", (await host.Store.ReadAsync(reference, ct)).Reveal());
        _clock.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal("value-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", (await host.Store.ReadAsync(reference, ct)).Reveal());

        // 90 s after a 60 s login the first token would be dead: renewals kept it alive, with one login only.
        Assert.Equal(1, _vault.Count("POST", "auth/kubernetes/login"));
        Assert.Equal(2, _vault.Count("POST", "auth/token/renew-self"));
    }

    [Fact]
    public async Task An_expired_non_renewable_token_is_replaced_by_a_new_login()
    {
        _vault.LoginTtl = TimeSpan.FromSeconds(60);
        _vault.LoginTokensRenewable = false;
        await using var host = KubernetesHost();
        var ct = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        await host.Store.WriteAsync(reference, new SecretValue("value-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"), Acme, ct);

        _clock.Advance(TimeSpan.FromSeconds(61));

        Assert.Equal("value-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", (await host.Store.ReadAsync(reference, ct)).Reveal());
        Assert.Equal(2, _vault.Count("POST", "auth/kubernetes/login"));
        Assert.DoesNotContain(_vault.Requests, r => r.Path == "secret/data/econt/tenants/acme" && r.Method == "GET" && !r.HadToken);
    }

    [Fact]
    public async Task A_revoked_token_answers_403_and_the_client_logs_in_again_once()
    {
        await using var host = KubernetesHost();
        var ct = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        await host.Store.WriteAsync(reference, new SecretValue("value-cccccccccccccccccccccccccccccc"), Acme, ct);

        _vault.RevokeAllTokens();
        _clock.Advance(TimeSpan.FromSeconds(31));

        Assert.Equal("value-cccccccccccccccccccccccccccccc", (await host.Store.ReadAsync(reference, ct)).Reveal());
        Assert.Equal(2, _vault.Count("POST", "auth/kubernetes/login"));
    }

    [Fact]
    public async Task A_wrong_service_account_token_fails_login_with_a_hint_about_the_role_binding()
    {
        _vault.KubernetesRoles["econt-control-plane"] = "a-different-jwt";
        await using var host = KubernetesHost();

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() =>
            host.Store.ReadAsync(SecretReference.Parse("vault:secret/econt/tenants/acme#password"), TestContext.Current.CancellationToken));

        Assert.Contains("econt-control-plane", error.Message, StringComparison.Ordinal);
        Assert.Contains("service account", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("service-account.jwt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sealed_vault_is_retried_and_the_read_succeeds_once_it_is_unsealed()
    {
        await using var host = TokenHost(time: TimeProvider.System);
        var ct = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        await host.Store.WriteAsync(reference, new SecretValue("value-dddddddddddddddddddddddddddddd"), Acme, ct);
        var sealedAnswers = 2;
        _vault.SealedWhen = (method, path) => method == "GET" && path.StartsWith("secret/", StringComparison.Ordinal) && Interlocked.Decrement(ref sealedAnswers) >= 0;
        var before = _vault.Count("GET", "secret/data/econt/tenants/acme");

        Assert.Equal("value-dddddddddddddddddddddddddddddd", (await host.Store.ReadAsync(reference, ct)).Reveal());
        Assert.Equal(3, _vault.Count("GET", "secret/data/econt/tenants/acme") - before);
    }

    [Fact]
    public async Task A_vault_that_stays_sealed_gives_a_transient_error_saying_it_is_sealed()
    {
        await using var host = TokenHost(time: TimeProvider.System);
        _vault.SealedWhen = (_, path) => path.StartsWith("secret/", StringComparison.Ordinal);

        var error = await Assert.ThrowsAsync<SecretBackendUnavailableException>(() =>
            host.Store.ReadAsync(SecretReference.Parse("vault:secret/econt/tenants/acme#password"), TestContext.Current.CancellationToken));

        Assert.Contains("sealed", error.Message, StringComparison.Ordinal);
        Assert.True(error.IsTransient);
        Assert.Equal(3, _vault.Count("GET", "secret/data/econt/tenants/acme"));
    }

    [Fact]
    public async Task A_write_is_sent_once_even_when_vault_answers_503()
    {
        await using var host = TokenHost(time: TimeProvider.System);
        _vault.SealedWhen = (method, _) => method == "POST";

        await Assert.ThrowsAsync<SecretBackendUnavailableException>(() =>
            host.Store.WriteAsync(SecretReference.Parse("vault:secret/econt/tenants/acme#password"), new SecretValue("value-eeeeeeeeeeeeeeeeeeeeeeeeeeeeee"), Acme, TestContext.Current.CancellationToken));

        Assert.Equal(1, _vault.Count("POST", "secret/data/econt/tenants/acme"));
    }

    [Fact]
    public async Task A_slow_vault_times_out_with_a_clear_transient_error()
    {
        await using var host = TokenHost(time: TimeProvider.System, configure: o => o.Vault.RequestTimeout = TimeSpan.FromMilliseconds(300));
        _vault.ResponseDelay = TimeSpan.FromSeconds(20);

        var error = await Assert.ThrowsAsync<SecretBackendUnavailableException>(() =>
            host.Store.ReadAsync(SecretReference.Parse("vault:secret/econt/tenants/acme#password"), TestContext.Current.CancellationToken));

        Assert.Contains("timeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deleting_the_last_key_destroys_every_version_and_a_second_delete_finds_nothing()
    {
        await using var host = TokenHost();
        var ct = TestContext.Current.CancellationToken;
        var password = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        var user = SecretReference.Parse("vault:secret/econt/tenants/acme#username");
        await host.Store.WriteAsync(password, new SecretValue("value-ffffffffffffffffffffffffffffff"), Acme, ct);
        await host.Store.WriteAsync(user, new SecretValue("acme_owner"), Acme, ct);

        Assert.Equal(SecretDeletion.Deleted, await host.Store.DeleteAsync(user, ct));
        Assert.Equal(["password"], _vault.LatestData("secret/econt/tenants/acme")!.Keys);

        Assert.Equal(SecretDeletion.Deleted, await host.Store.DeleteAsync(password, ct));
        Assert.False(_vault.HasMetadata("secret/econt/tenants/acme"));
        Assert.Equal(1, _vault.Count("DELETE", "secret/metadata/econt/tenants/acme"));
        Assert.Equal(SecretDeletion.NotFound, await host.Store.DeleteAsync(password, ct));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => host.Store.ReadAsync(password, ct));
    }

    [Fact]
    public async Task Soft_delete_mode_deletes_the_latest_version_and_a_new_write_continues_the_version_count()
    {
        await using var host = TokenHost(configure: o => o.Vault.DestroyOnDelete = false);
        var ct = TestContext.Current.CancellationToken;
        var password = SecretReference.Parse("vault:secret/econt/tenants/acme#password");
        await host.Store.WriteAsync(password, new SecretValue("value-gggggggggggggggggggggggggggggg"), Acme, ct);

        Assert.Equal(SecretDeletion.Deleted, await host.Store.DeleteAsync(password, ct));
        Assert.Equal(1, _vault.Count("DELETE", "secret/data/econt/tenants/acme"));
        await Assert.ThrowsAsync<SecretNotFoundException>(() => host.Store.ReadAsync(password, ct));

        await host.Store.WriteAsync(password, new SecretValue("value-hhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"), Acme, ct);
        Assert.Equal(2, _vault.CurrentVersion("secret/econt/tenants/acme"));
    }

    [Fact]
    public async Task Concurrent_ensure_calls_converge_on_one_stored_password()
    {
        await using var host = TokenHost(time: TimeProvider.System);
        var reference = SecretReference.Parse("vault:secret/econt/tenants/race#password");
        var ct = TestContext.Current.CancellationToken;

        var values = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.Store.EnsureGeneratedPasswordAsync(reference, Acme, ct)));

        Assert.Single(values.Select(v => v.Reveal()).Distinct());
        Assert.Equal(1, _vault.CurrentVersion("secret/econt/tenants/race"));
        Assert.Equal(values[0].Reveal(), _vault.LatestData("secret/econt/tenants/race")!["password"]);
        Assert.Equal(values[0], await host.Store.EnsureGeneratedPasswordAsync(reference, Acme, ct));
    }

    private SecretStoreHost TokenHost(string? token = null, TimeProvider? time = null, Action<SecretStoreOptions>? configure = null) =>
        SecretStoreHost.Create(
            new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "dev",
                ["SECRET_MANAGER_BACKEND"] = "vault",
                ["SECRET_MANAGER_ENDPOINT"] = _vault.Address.ToString(),
                ["VAULT_TOKEN"] = token ?? _vault.IssueToken(TimeSpan.Zero),
                ["VAULT_NAMESPACE"] = "econt/ops",
            },
            time ?? _clock,
            services => services.PostConfigure<SecretStoreOptions>(o =>
            {
                o.Vault.RetryBaseDelay = TimeSpan.FromMilliseconds(5);
                configure?.Invoke(o);
            }));

    private SecretStoreHost KubernetesHost() =>
        SecretStoreHost.Create(
            new Dictionary<string, string?>
            {
                ["ENVIRONMENT"] = "dev",
                ["SECRET_MANAGER_BACKEND"] = "vault",
                ["SECRET_MANAGER_ENDPOINT"] = _vault.Address.ToString(),
                ["VAULT_K8S_ROLE"] = "econt-control-plane",
                ["VAULT_K8S_JWT_FILE"] = _jwtFile,
            },
            _clock);
}
