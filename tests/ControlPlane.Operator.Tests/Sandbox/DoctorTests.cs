using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Sandbox;

/// <summary>
/// `doctor` through the real executable: every check passes on a good set-up, and a set-up broken in exactly one way
/// fails exactly that check. RBAC denial cannot be staged here: the in-process API server has no RBAC, so its
/// SelfSubjectAccessReview answers allowed (and says why); that check is proven only on a real cluster.
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
        Assert.Equal(["FAIL  CRD schemarollouts.controlplane.econt.io", "FAIL  CRD tenants.controlplane.econt.io"], Failed(outcome.Output));
        Assert.Contains("kubectl apply -k config/crds", outcome.Output, StringComparison.Ordinal);
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

    private async Task<OperatorProcess.Outcome> DoctorAsync(KubeApiServer server, string catalog, TenantServer tenantServer, params string[] arguments)
    {
        var kubeconfig = Path.Combine(_directory, Guid.NewGuid().ToString("N"));
        server.WriteKubeconfig(kubeconfig);
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
