using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Autorest;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

/// <summary>
/// <see cref="KubeApiAuthorization.Rbac"/>: the server authenticates bearer tokens and enforces the stored Roles and
/// bindings as kube-apiserver does, so a test can prove what a service account may and may not do.
/// </summary>
public sealed class RbacTests : IDisposable
{
    private const string Operator = "system:serviceaccount:econt-system:controlplane-operator";
    private const string OperatorToken = "operator-token";
    private readonly string _directory = Directory.CreateTempSubdirectory("kube-api-rbac-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Without_a_binding_a_service_account_is_forbidden_with_kube_apiservers_message()
    {
        await using var server = await StartRbacAsync();
        using var client = server.CreateClient(OperatorToken);

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: Ct));

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, e.Response.StatusCode);
        var status = System.Text.Json.Nodes.JsonNode.Parse(e.Response.Content)!;
        Assert.Equal("Forbidden", (string?)status["reason"]);
        Assert.Equal(
            $"secrets is forbidden: User \"{Operator}\" cannot list resource \"secrets\" in API group \"\" in the namespace \"default\"",
            (string?)status["message"]);
    }

    [Fact]
    public async Task An_unknown_token_is_unauthorized_and_no_token_is_anonymous()
    {
        await using var server = await StartRbacAsync();
        using var stranger = server.CreateClient("not-a-registered-token");
        var unknown = await Assert.ThrowsAsync<HttpOperationException>(() => stranger.CoreV1.ListNamespaceAsync(cancellationToken: Ct));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, unknown.Response.StatusCode);

        using var anonymous = new Kubernetes(new KubernetesClientConfiguration { Host = server.BaseUri.ToString().TrimEnd('/') });
        var denied = await Assert.ThrowsAsync<HttpOperationException>(() => anonymous.CoreV1.ListNamespaceAsync(cancellationToken: Ct));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, denied.Response.StatusCode);
        Assert.Contains("system:anonymous", denied.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_token_bound_to_another_audience_is_refused_by_the_api_server()
    {
        await using var server = await StartRbacAsync();
        server.RegisterToken("resolver-caller", "system:serviceaccount:accounting:app", ["system:serviceaccounts"], audiences: ["controlplane.econt.io"]);
        using var captured = server.CreateClient("resolver-caller");

        var e = await Assert.ThrowsAsync<HttpOperationException>(() => captured.CoreV1.ListNamespaceAsync(cancellationToken: Ct));

        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, e.Response.StatusCode);
    }

    [Fact]
    public async Task A_role_binding_grants_its_rules_in_its_own_namespace_only()
    {
        await using var server = await StartRbacAsync();
        using var admin = server.CreateClient();
        await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenants" } }, cancellationToken: Ct);
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "secrets" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["get", "list", "create"] }],
        }, "tenants", cancellationToken: Ct);
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(Binding("secrets", "Role", "secrets"), "tenants", cancellationToken: Ct);
        using var client = server.CreateClient(OperatorToken);

        await client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" } }, "tenants", cancellationToken: Ct);
        Assert.Single((await client.CoreV1.ListNamespacedSecretAsync("tenants", cancellationToken: Ct)).Items);

        var elsewhere = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListNamespacedSecretAsync("default", cancellationToken: Ct));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, elsewhere.Response.StatusCode);
        var delete = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.DeleteNamespacedSecretAsync("s", "tenants", cancellationToken: Ct));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, delete.Response.StatusCode);
        var cluster = await Assert.ThrowsAsync<HttpOperationException>(() => client.CoreV1.ListSecretForAllNamespacesAsync(cancellationToken: Ct));
        Assert.Contains("at the cluster scope", cluster.Response.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cluster_rules_match_subresources_resource_names_and_wildcards_as_kubernetes_does()
    {
        await using var server = await StartRbacAsync();
        using var admin = server.CreateClient();
        await CreateWidgetAsync(admin, Widget("alpha"));
        await CreateWidgetAsync(admin, Widget("beta"));
        await admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "widgets" },
            Rules =
            [
                new V1PolicyRule { ApiGroups = [Group], Resources = ["widgets"], Verbs = ["get"], ResourceNames = ["alpha"] },
                new V1PolicyRule { ApiGroups = ["*"], Resources = ["*/status"], Verbs = ["*"] },
            ],
        }, cancellationToken: Ct);
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "widgets" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "widgets" },
            Subjects = [new Rbacv1Subject { Kind = "Group", Name = "system:serviceaccounts:econt-system" }],
        }, cancellationToken: Ct);
        using var client = server.CreateClient(OperatorToken);

        await GetWidgetAsync(client, "alpha");
        var beta = await Assert.ThrowsAsync<HttpOperationException>(() => GetWidgetAsync(client, "beta"));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, beta.Response.StatusCode);
        var list = await Assert.ThrowsAsync<HttpOperationException>(() => client.CustomObjects.ListNamespacedCustomObjectAsync(Group, V1, "default", Widgets, cancellationToken: Ct));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, list.Response.StatusCode);
        var status = await admin.CustomObjects.GetNamespacedCustomObjectStatusAsync(Group, V1, "default", Widgets, "beta", Ct);
        await client.CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(status, Group, V1, "default", Widgets, "beta", cancellationToken: Ct);
    }

    [Fact]
    public async Task Self_access_reviews_answer_for_the_caller_and_name_the_binding_that_allows()
    {
        await using var server = await StartRbacAsync();
        using var admin = server.CreateClient();
        await admin.RbacAuthorizationV1.CreateClusterRoleAsync(new V1ClusterRole
        {
            Metadata = new V1ObjectMeta { Name = "events" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["events"], Verbs = ["create"] }],
        }, cancellationToken: Ct);
        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(new V1ClusterRoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "events" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "ClusterRole", Name = "events" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "controlplane-operator", NamespaceProperty = "econt-system" }],
        }, cancellationToken: Ct);
        using var client = server.CreateClient(OperatorToken);

        var allowed = await ReviewAsync(client, "create", "events");
        var denied = await ReviewAsync(client, "delete", "events");

        Assert.True(allowed.Status.Allowed);
        Assert.Equal("RBAC: allowed by ClusterRoleBinding \"events\" of ClusterRole \"events\" to ServiceAccount \"controlplane-operator/econt-system\"", allowed.Status.Reason);
        Assert.False(denied.Status.Allowed);
        Assert.True((await ReviewAsync(admin, "delete", "events")).Status.Allowed);
    }

    [Fact]
    public async Task Kubectl_applies_the_shipped_rbac_and_a_user_holding_it_gets_exactly_what_it_grants()
    {
        if (Kubectl.UnavailableReason() is { } reason)
        {
            Assert.Skip(reason);
        }

        // kubectl sends a kubeconfig's token only over TLS.
        using var cluster = new ControlPlane.Testing.RbacKubeApi();
        await using var server = await cluster.StartAsync(Ct, [CrdDirectory]);
        server.RegisterToken(OperatorToken, Operator, ["system:serviceaccounts", "system:serviceaccounts:econt-system"]);
        Assert.Equal("https", server.BaseUri.Scheme);
        using var admin = server.CreateClient();
        foreach (var ns in (string[])["econt-system", "econt-tenants"])
        {
            await admin.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } }, cancellationToken: Ct);
        }

        var adminConfig = Path.Combine(_directory, "admin");
        server.WriteKubeconfig(adminConfig);
        var apply = await new Kubectl(adminConfig, Path.Combine(_directory, "admin-cache")).RunAsync("apply", "-k", ControlPlane.Testing.Repository.Path("config", "rbac"));
        Assert.True(apply.ExitCode == 0, apply.Stderr + string.Join("\n", server.RequestLog.Select(r => $"{r.Method} {r.Path}{r.Query} {r.StatusCode}")));
        var operatorConfig = Path.Combine(_directory, "operator");
        server.WriteKubeconfig(operatorConfig, token: OperatorToken);
        var kubectl = new Kubectl(operatorConfig, Path.Combine(_directory, "operator-cache"));

        // The operator may read tenants everywhere and manage secrets only in the tenant secrets namespace, nothing else.
        var tenants = await kubectl.RunAsync("get", "tenants.controlplane.econt.io", "-A");
        Assert.True(tenants.ExitCode == 0, tenants.Stderr);
        var secrets = await kubectl.RunAsync("get", "secret", "missing", "-n", "econt-tenants");
        Assert.Contains("NotFound", secrets.Stderr, StringComparison.Ordinal);
        // Listed by the estate audit (generated Secrets without a Tenant), only here.
        var listSecrets = await kubectl.RunAsync("get", "secrets", "-n", "econt-tenants");
        Assert.True(listSecrets.ExitCode == 0, listSecrets.Stderr);
        var listElsewhere = await kubectl.RunAsync("get", "secrets", "-n", "econt-system");
        Assert.Contains("Forbidden", listElsewhere.Stderr, StringComparison.Ordinal);
        var elsewhere = await kubectl.RunAsync("get", "secret", "missing", "-n", "default");
        Assert.Contains("cannot get resource \"secrets\" in API group \"\" in the namespace \"default\"", elsewhere.Stderr, StringComparison.Ordinal);
        var deleteTenant = await kubectl.RunAsync("delete", "tenants.controlplane.econt.io", "acme", "-n", "default");
        Assert.Contains("Forbidden", deleteTenant.Stderr, StringComparison.Ordinal);
    }

    private static async Task<V1SelfSubjectAccessReview> ReviewAsync(Kubernetes client, string verb, string resource) =>
        await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec
            {
                ResourceAttributes = new V1ResourceAttributes { Verb = verb, Resource = resource, NamespaceProperty = "default" },
            },
        }, cancellationToken: Ct);

    private static V1RoleBinding Binding(string name, string kind, string role) => new()
    {
        Metadata = new V1ObjectMeta { Name = name },
        RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = kind, Name = role },
        Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = "controlplane-operator", NamespaceProperty = "econt-system" }],
    };

    private static async Task<KubeApiServer> StartRbacAsync()
    {
        var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { CrdDirectories = [CrdDirectory], Authorization = KubeApiAuthorization.Rbac }, Ct);
        server.RegisterToken(OperatorToken, Operator, ["system:serviceaccounts", "system:serviceaccounts:econt-system"]);
        return server;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
