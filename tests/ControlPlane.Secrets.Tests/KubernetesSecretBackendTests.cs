using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Core.Secrets;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Secrets.Kubernetes;
using ControlPlane.Secrets.Tests.Fakes;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ControlPlane.Secrets.Tests;

/// <summary>The Kubernetes backend, through the production DI registration, against the in-process API server.</summary>
public sealed class KubernetesSecretBackendTests : IAsyncLifetime
{
    private const string Namespace = "econt-tenants";
    private const string SecretsPath = "/api/v1/namespaces/econt-tenants/secrets/*";
    private static readonly SecretOwner Acme = new("acme");
    private KubeApiServer _server = null!;
    private SecretStoreHost _host = null!;

    private ISecretStore Store => _host.Store;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _server = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, ct);
        using var admin = _server.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = Namespace } }, cancellationToken: ct);
        _host = SecretStoreHost.Create(
            new Dictionary<string, string?> { ["ENVIRONMENT"] = "prod", ["SECRET_MANAGER_BACKEND"] = "k8s", ["SECRET_KUBERNETES_NAMESPACE"] = Namespace },
            configure: services => services.AddSingleton<IKubernetes>(_server.CreateClient()));
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Ensure_creates_a_labelled_opaque_secret_once_and_returns_the_stored_password_afterwards()
    {
        var ct = TestContext.Current.CancellationToken;
        var reference = _host.Services.GetRequiredService<SecretReferencePlanner>().ForTenantDatabase("acme");
        Assert.Equal("k8s:econt-tenants/tenant-acme-db#password", reference.ToString());

        var first = await Store.EnsureGeneratedPasswordAsync(reference, Acme, ct);
        var second = await Store.EnsureGeneratedPasswordAsync(reference, Acme, ct);

        Assert.Equal(first, second);
        var stored = Stored("tenant-acme-db")!;
        Assert.Equal("Opaque", (string?)stored["type"]);
        Assert.Equal(KubernetesSecretLabels.ManagedBy, (string?)stored["metadata"]!["labels"]![KubernetesSecretLabels.ManagedByKey]);
        Assert.Equal("acme", (string?)stored["metadata"]!["labels"]![KubernetesSecretLabels.TenantKey]);
        Assert.Equal(first.Reveal(), Decode(stored, "password"));
        Assert.Equal(1, _server.CountRequests("create", "/api/v1/namespaces/econt-tenants/secrets"));
    }

    [Fact]
    public async Task Writing_updates_one_key_and_keeps_the_others()
    {
        var ct = TestContext.Current.CancellationToken;
        var password = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#password");
        var user = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#username");
        await Store.WriteAsync(password, new SecretValue("first-password-0000000000000000000"), Acme, ct);
        await Store.WriteAsync(user, new SecretValue("acme_owner"), Acme, ct);
        var versionBefore = (string?)Stored("tenant-acme-db")!["metadata"]!["resourceVersion"];

        var rotated = await Store.RotatePasswordAsync(password, Acme, ct);

        var stored = Stored("tenant-acme-db")!;
        Assert.Equal(rotated.Reveal(), Decode(stored, "password"));
        Assert.Equal("acme_owner", Decode(stored, "username"));
        Assert.NotEqual(versionBefore, (string?)stored["metadata"]!["resourceVersion"]);
        Assert.Equal(rotated, await Store.ReadAsync(password, ct));
        Assert.Equal(2, _server.CountRequests("update", SecretsPath));
    }

    [Fact]
    public async Task A_secret_the_operator_did_not_create_is_read_but_never_changed_or_deleted()
    {
        var ct = TestContext.Current.CancellationToken;
        using var admin = _server.CreateClient();
        await admin.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "handmade" }, Data = new Dictionary<string, byte[]> { ["password"] = "made-by-a-human-000000000000000000"u8.ToArray() } },
            Namespace, cancellationToken: ct);
        var reference = SecretReference.Parse("k8s:econt-tenants/handmade#password");

        Assert.Equal("made-by-a-human-000000000000000000", (await Store.ReadAsync(reference, ct)).Reveal());
        var refused = await Assert.ThrowsAsync<SecretOwnershipException>(() => Store.RotatePasswordAsync(reference, Acme, ct));
        Assert.Contains("was not created by the operator", refused.Message, StringComparison.Ordinal);
        Assert.Equal(SecretDeletion.NotOwned, await Store.DeleteAsync(reference, ct));
        Assert.Equal("made-by-a-human-000000000000000000", Decode(Stored("handmade")!, "password"));
        Assert.Equal(0, _server.CountRequests("update", SecretsPath) + _server.CountRequests("delete", SecretsPath));
    }

    [Fact]
    public async Task Deleting_removes_the_key_then_the_secret_and_a_repeat_finds_nothing()
    {
        var ct = TestContext.Current.CancellationToken;
        var password = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#password");
        var user = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#username");
        await Store.WriteAsync(password, new SecretValue("password-11111111111111111111111111"), Acme, ct);
        await Store.WriteAsync(user, new SecretValue("acme_owner"), Acme, ct);

        Assert.Equal(SecretDeletion.Deleted, await Store.DeleteAsync(user, ct));
        Assert.Null(Stored("tenant-acme-db")!["data"]!["username"]);
        Assert.Equal(SecretDeletion.Deleted, await Store.DeleteAsync(password, ct));
        Assert.Null(Stored("tenant-acme-db"));
        Assert.Equal(SecretDeletion.NotFound, await Store.DeleteAsync(password, ct));
        Assert.Equal(1, _server.CountRequests("delete", SecretsPath));
    }

    [Fact]
    public async Task A_missing_secret_key_or_namespace_reads_the_same_so_errors_do_not_map_what_exists()
    {
        var ct = TestContext.Current.CancellationToken;
        var missing = await Assert.ThrowsAsync<SecretNotFoundException>(() => Store.ReadAsync(SecretReference.Parse("k8s:econt-tenants/nobody#password"), ct));
        Assert.Equal("No value at k8s:econt-tenants/nobody#password: the Secret, its key or its namespace is missing (or empty).", missing.Message);

        await Store.WriteAsync(SecretReference.Parse("k8s:econt-tenants/nobody#username"), new SecretValue("x"), Acme, ct);
        var noKey = await Assert.ThrowsAsync<SecretNotFoundException>(() => Store.ReadAsync(SecretReference.Parse("k8s:econt-tenants/nobody#password"), ct));
        Assert.Equal(missing.Message, noKey.Message);

        var noNamespace = await Assert.ThrowsAsync<SecretNotFoundException>(() =>
            Store.WriteAsync(SecretReference.Parse("k8s:no-such-ns/tenant-acme-db#password"), new SecretValue("x"), Acme, ct));
        Assert.Equal("No value at k8s:no-such-ns/tenant-acme-db#password: the Secret, its key or its namespace is missing (or empty).", noNamespace.Message);
    }

    [Fact]
    public async Task Forbidden_by_rbac_says_which_verb_to_grant()
    {
        _server.FailNext("get", SecretsPath, 403);

        var error = await Assert.ThrowsAsync<SecretAccessDeniedException>(() =>
            Store.ReadAsync(SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#password"), TestContext.Current.CancellationToken));

        Assert.Contains("grant 'get' on 'secrets' in namespace econt-tenants", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_conflicting_concurrent_update_is_retried_from_a_fresh_read()
    {
        var ct = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#password");
        await Store.WriteAsync(reference, new SecretValue("password-22222222222222222222222222"), Acme, ct);
        _server.FailNext("update", SecretsPath, 409);

        await Store.WriteAsync(reference, new SecretValue("password-33333333333333333333333333"), Acme, ct);

        Assert.Equal("password-33333333333333333333333333", Decode(Stored("tenant-acme-db")!, "password"));
        Assert.Equal(2, _server.CountRequests("update", SecretsPath));
    }

    [Fact]
    public async Task A_full_cycle_uses_only_get_create_update_and_delete_on_secrets()
    {
        var ct = TestContext.Current.CancellationToken;
        var reference = SecretReference.Parse("k8s:econt-tenants/tenant-acme-db#password");
        await Store.EnsureGeneratedPasswordAsync(reference, Acme, ct);
        await Store.ReadAsync(reference, ct);
        await Store.RotatePasswordAsync(reference, Acme, ct);
        await Store.DeleteAsync(reference, ct);

        // These are the verbs config/rbac must grant on secrets: nothing more (no list, watch or patch).
        var verbs = _server.RequestLog.Where(r => r.Path.Contains("/secrets", StringComparison.Ordinal)).Select(r => r.Verb).ToHashSet();
        Assert.Equal(["create", "delete", "get", "update"], verbs.Order());
    }

    private JsonObject? Stored(string name) => _server.GetStored("", "v1", "secrets", Namespace, name);

    private static string? Decode(JsonObject secret, string key) =>
        secret["data"]?[key] is { } value ? Encoding.UTF8.GetString(Convert.FromBase64String((string)value!)) : null;
}
