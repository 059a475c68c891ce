using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Testing;
using k8s;

namespace ControlPlane.Operator.Tests.Sandbox;

/// <summary>
/// `doctor` through the real executable: every check passes on a good set-up, and a set-up broken in exactly one way
/// fails exactly that check. The RBAC checks run as the operator's ServiceAccount against the in-process API server with
/// its RBAC authorizer and the shipped config/rbac.
/// </summary>
public sealed class DoctorTests(PostgresFixture postgres) : IDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("doctor-").FullName;

    [Fact]
    public async Task Every_check_passes_on_a_good_set_up()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        var outcome = await DoctorAsync(server, await CatalogTemplate.CreateDatabaseAsync(postgres, _ct), await TenantServer.CreateAsync(postgres, _ct));

        Assert.True(outcome.ExitCode == 0, outcome.Output);
        Assert.DoesNotContain("FAIL", outcome.Output, StringComparison.Ordinal);
        foreach (var check in (string[])["PASS  catalog:", "PASS  tenant server default:", "PASS  secret backend:",
                     "PASS  CRD tenants.controlplane.econt.io:", "PASS  CRD schemarollouts.controlplane.econt.io:",
                     "PASS  RBAC controlplane.econt.io/tenants:", "PASS  RBAC secrets in econt-tenants:"])
        {
            Assert.Contains(check, outcome.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_catalog_that_was_never_migrated_fails_the_catalog_check_alone()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        var outcome = await DoctorAsync(server, await postgres.CreateDatabaseAsync(cancellationToken: _ct), await TenantServer.CreateAsync(postgres, _ct));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(["FAIL  catalog"], Failed(outcome.Output));
        Assert.Contains("run `controlplane migrate`", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_admin_without_CREATEROLE_fails_the_tenant_server_check_alone()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        var tenantServer = await TenantServer.CreateAsync(postgres, _ct);
        await using (var revoke = postgres.Admin.CreateCommand($"ALTER ROLE {tenantServer.AdminRole} NOCREATEROLE"))
        {
            await revoke.ExecuteNonQueryAsync(_ct);
        }

        var outcome = await DoctorAsync(server, await CatalogTemplate.CreateDatabaseAsync(postgres, _ct), tenantServer);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(["FAIL  tenant server default"], Failed(outcome.Output));
        Assert.Contains("no CREATEROLE", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_cluster_without_the_CRDs_fails_the_CRD_checks_alone()
    {
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { LoadRepositoryCrds = false }, _ct);
        var outcome = await DoctorAsync(server, await CatalogTemplate.CreateDatabaseAsync(postgres, _ct), await TenantServer.CreateAsync(postgres, _ct));

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(["FAIL  CRD schemarollouts.controlplane.econt.io", "FAIL  CRD tenantdatabaseservers.controlplane.econt.io", "FAIL  CRD tenants.controlplane.econt.io"], Failed(outcome.Output));
        Assert.Contains("kubectl apply -k config/crds", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_the_operators_service_account_with_the_shipped_RBAC_every_check_passes()
    {
        using var cluster = new RbacKubeApi();
        await using var server = await cluster.StartAsync(_ct);
        await ApplyShippedRbacAsync(server, except: null);

        var outcome = await DoctorAsync(server, await CatalogTemplate.CreateDatabaseAsync(postgres, _ct), await TenantServer.CreateAsync(postgres, _ct), OperatorToken, []);

        Assert.True(outcome.ExitCode == 0, outcome.Output);
        Assert.Contains("PASS  RBAC controlplane.econt.io/tenants/status:", outcome.Output, StringComparison.Ordinal);
        Assert.Contains("RBAC: allowed by RoleBinding \"controlplane-operator-tenant-secrets/econt-tenants\"", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_role_binding_fails_the_RBAC_check_of_that_rule_alone()
    {
        using var cluster = new RbacKubeApi();
        await using var server = await cluster.StartAsync(_ct);
        await ApplyShippedRbacAsync(server, except: "controlplane-operator-leader-election");

        var outcome = await DoctorAsync(server, await CatalogTemplate.CreateDatabaseAsync(postgres, _ct), await TenantServer.CreateAsync(postgres, _ct), OperatorToken, []);

        Assert.Equal(1, outcome.ExitCode);
        Assert.Equal(["FAIL  RBAC coordination.k8s.io/leases in econt-system"], Failed(outcome.Output));
        Assert.Contains("denied: get, create, update", outcome.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_names_every_check()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        var outcome = await DoctorAsync(server, await CatalogTemplate.CreateDatabaseAsync(postgres, _ct), await TenantServer.CreateAsync(postgres, _ct), "--json");

        Assert.True(outcome.ExitCode == 0, outcome.Output);
        var report = System.Text.Json.Nodes.JsonNode.Parse(outcome.Output)!;
        Assert.True((bool)report["passed"]!);
        Assert.Contains(report["checks"]!.AsArray(), c => (string?)c!["name"] == "catalog" && (bool)c["passed"]!);
    }

    private const string OperatorToken = "controlplane-operator-token";

    /// <summary>
    /// Creates what config/rbac ships (its bindings' roles, in the namespaces they name), all but the Role or binding named
    /// <paramref name="except"/>, and registers the operator's ServiceAccount token.
    /// </summary>
    private async Task ApplyShippedRbacAsync(KubeApiServer server, string? except)
    {
        server.RegisterToken(OperatorToken, "system:serviceaccount:econt-system:controlplane-operator",
            ["system:serviceaccounts", "system:serviceaccounts:econt-system"]);
        using var admin = server.CreateClient();
        foreach (var ns in (string[])["econt-system", "econt-tenants"])
        {
            await admin.CoreV1.CreateNamespaceAsync(new k8s.Models.V1Namespace { Metadata = new k8s.Models.V1ObjectMeta { Name = ns } }, cancellationToken: _ct);
        }

        foreach (var file in Directory.EnumerateFiles(Repository.Path("config", "rbac"), "*.yaml")
                     .Where(f => Path.GetFileName(f) != "kustomization.yaml").Order(StringComparer.Ordinal))
        {
            foreach (var document in k8s.KubernetesYaml.LoadAllFromString(await File.ReadAllTextAsync(file, _ct)))
            {
                switch (document)
                {
                    case k8s.Models.V1ClusterRole role:
                        await admin.RbacAuthorizationV1.CreateClusterRoleAsync(role, cancellationToken: _ct);
                        break;
                    case k8s.Models.V1ClusterRoleBinding binding:
                        await admin.RbacAuthorizationV1.CreateClusterRoleBindingAsync(binding, cancellationToken: _ct);
                        break;
                    case k8s.Models.V1Role role:
                        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(role, role.Metadata.NamespaceProperty, cancellationToken: _ct);
                        break;
                    case k8s.Models.V1RoleBinding binding when binding.Metadata.Name != except:
                        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(binding, binding.Metadata.NamespaceProperty, cancellationToken: _ct);
                        break;
                }
            }
        }
    }

    private async Task<OperatorProcess.Outcome> DoctorAsync(KubeApiServer server, string catalog, TenantServer tenantServer, params string[] arguments) =>
        await DoctorAsync(server, catalog, tenantServer, KubeApiServer.AdminToken, arguments);

    private async Task<OperatorProcess.Outcome> DoctorAsync(KubeApiServer server, string catalog, TenantServer tenantServer, string token, string[] arguments)
    {
        var kubeconfig = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        server.WriteKubeconfig(kubeconfig, token: token);
        var admin = tenantServer.AdminConnection();
        return await OperatorProcess.RunAsync(["doctor", .. arguments], new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "dev",
            ["CONTROL_PLANE_DATABASE_URL"] = catalog,
            ["KUBECONFIG"] = kubeconfig,
            ["HOME"] = _directory,
            ["SECRET_MANAGER_BACKEND"] = "k8s",
            ["Operator__TenantDatabaseServers__default__Host"] = admin.Host,
            ["Operator__TenantDatabaseServers__default__Port"] = admin.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Operator__TenantDatabaseServers__default__AdminUser"] = tenantServer.AdminRole,
            ["Operator__TenantDatabaseServers__default__AdminSecretRef"] = "env:DOCTOR_TEST_ADMIN_PASSWORD",
            ["DOCTOR_TEST_ADMIN_PASSWORD"] = tenantServer.AdminPassword,
        }, _ct);
    }

    /// <summary>The failed checks, as "FAIL  name".</summary>
    private static List<string> Failed(string output) =>
        output.Split('\n').Where(l => l.StartsWith("FAIL  ", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).Order(StringComparer.Ordinal).ToList();

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
