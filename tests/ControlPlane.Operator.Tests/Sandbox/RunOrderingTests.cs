using ControlPlane.Operator.Tests.Lifecycle;
using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Sandbox;

/// <summary>
/// `kubectl apply -k` starts the migrate Job and the operator together: outside dev the operator must refuse a catalog
/// behind its version (exit 2, so the pod restarts until the Job is done) and start once it is migrated.
/// </summary>
public sealed class RunOrderingTests : IDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("run-ordering-").FullName;

    [Fact]
    public async Task Outside_dev_run_refuses_a_catalog_that_migrate_has_not_reached_yet()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        server.WriteKubeconfig(kubeconfig);

        // Outside dev the catalog is reached with verify-full and the resolver serves TLS only: both are given here,
        // so the refusal under test is the catalog's version and nothing else.
        using var tls = new TestCertificates();
        tls.IssueServer("server", "localhost");
        tls.IssueServer("resolver", "localhost");
        await using var catalogServer = await DatabaseTlsTests.StartTlsServerAsync(tls, _ct);
        await using (var superuser = NpgsqlDataSource.Create(catalogServer.ConnectionString))
        {
            await using var create = superuser.CreateCommand("CREATE DATABASE platform_admin");
            await create.ExecuteNonQueryAsync(_ct);
        }

        var catalog = new NpgsqlConnectionStringBuilder(catalogServer.ConnectionString)
        {
            Host = "localhost",
            Database = "platform_admin",
            SslMode = SslMode.VerifyFull,
            RootCertificate = tls.AuthorityFile,
        };
        var environment = new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "staging",
            ["CONTROL_PLANE_DATABASE_URL"] = catalog.ConnectionString,
            ["KUBECONFIG"] = kubeconfig,
            ["HOME"] = _directory,
            ["SECRET_MANAGER_BACKEND"] = "k8s",
            ["POD_NAMESPACE"] = "econt-system",
            ["RESOLVER_TLS_CERT_FILE"] = tls.CertificateFile("resolver"),
            ["RESOLVER_TLS_KEY_FILE"] = tls.KeyFile("resolver"),
        };

        var outcome = await OperatorProcess.RunAsync(["run", "--port", "0"], environment, _ct);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("the catalog is at version none, this build needs", outcome.Output, StringComparison.Ordinal);
        Assert.Contains("run `migrate` first", outcome.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
