using ControlPlane.Sandbox.KubeApi;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Sandbox;

/// <summary>
/// `kubectl apply -k` starts the migrate Job and the operator together: outside dev the operator must refuse a catalog
/// behind its version (exit 2, so the pod restarts until the Job is done) and start once it is migrated.
/// </summary>
public sealed class RunOrderingTests(PostgresFixture postgres) : IDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("run-ordering-").FullName;

    [Fact]
    public async Task Outside_dev_run_refuses_a_catalog_that_migrate_has_not_reached_yet()
    {
        await using var server = await KubeApiServer.StartAsync(cancellationToken: _ct);
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        var environment = new Dictionary<string, string?>
        {
            ["ENVIRONMENT"] = "staging",
            ["CONTROL_PLANE_DATABASE_URL"] = await postgres.CreateDatabaseAsync(cancellationToken: _ct),
            ["KUBECONFIG"] = kubeconfig,
            ["HOME"] = _directory,
            ["SECRET_MANAGER_BACKEND"] = "k8s",
            ["POD_NAMESPACE"] = "econt-system",
        };

        var outcome = await OperatorProcess.RunAsync(["run", "--port", "0"], environment, _ct);

        Assert.Equal(2, outcome.ExitCode);
        Assert.Contains("the catalog is at version none, this build needs", outcome.Output, StringComparison.Ordinal);
        Assert.Contains("run `migrate` first", outcome.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
