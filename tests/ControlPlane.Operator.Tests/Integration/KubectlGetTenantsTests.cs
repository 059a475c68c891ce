using System.Diagnostics;
using System.Text.RegularExpressions;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Runtime;
using ControlPlane.Testing;

namespace ControlPlane.Operator.Tests.Integration;

/// <summary>
/// `kubectl get tenants` against the in-process API server after the real operator has reconciled an Active, a
/// suspended and a refused tenant: the printer columns of the CRD, the values the operator's status gives them, and the
/// exact output (written to the test output, for the README).
/// </summary>
public sealed partial class KubectlGetTenantsTests(PostgresFixture postgres) : IDisposable
{
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;
    private readonly string _directory = Directory.CreateTempSubdirectory("kubectl-get-tenants-").FullName;

    [Fact]
    public async Task Kubectl_get_tenants_shows_slug_status_schema_database_ready_and_age_as_the_operator_set_them()
    {
        Assert.SkipWhen(!OnPath("kubectl"), "kubectl is not on PATH");
        await using var cluster = await OperatorTestCluster.StartAsync(postgres, _ct);
        cluster.StartOperator();
        await cluster.CreateTenantAsync("acme", s => s.Slug = "acme", _ct);
        await cluster.CreateTenantAsync("globex", s => s.Slug = "globex", _ct);
        await cluster.CreateTenantAsync("initech", s => s.Database!.Server = "nowhere", _ct);

        // Suspended once provisioned, the usual path (and the only one that converges: see docs/provision-benchmark.md).
        await OperatorTestCluster.WaitUntilAsync(
            async () => OperatorTestCluster.IsConverged(await cluster.GetTenantAsync("globex", _ct)), TimeSpan.FromSeconds(60), "globex is Active", _ct);
        await cluster.UpdateSpecAsync("globex", s => { s.Suspended = true; s.SuspendedReason = "Invoice overdue"; }, _ct);

        var states = "";
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await ReconciledAsync())
        {
            Assert.True(DateTime.UtcNow < deadline, $"acme is not Active, globex not Suspended or initech not refused after 60 s: {states}");
            await Task.Delay(50, _ct);
        }

        async Task<bool> ReconciledAsync()
        {
            var acme = await cluster.GetTenantAsync("acme", _ct);
            var globex = await cluster.GetTenantAsync("globex", _ct);
            var initech = await cluster.GetTenantAsync("initech", _ct);
            states = string.Join("; ", new[] { acme, globex, initech }.Select(t =>
                $"{t?.Metadata.Name} {t?.Status.Phase} {Describe(Conditions.Find(t?.Status.Conditions, TenantConditions.Ready))}"));
            return OperatorTestCluster.IsConverged(acme)
                && globex?.Status.Phase == TenantPhases.Suspended && globex.Status.ObservedGeneration == globex.Metadata.Generation
                && Conditions.Find(initech?.Status.Conditions, TenantConditions.Ready)?.Reason == TenantReadyReason.InvalidSpec.ToWire();
        }

        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        cluster.Server.WriteKubeconfig(kubeconfig);
        var (exitCode, output, errors) = await KubectlAsync(kubeconfig, "get", "tenants", "-n", OperatorTestCluster.TenantNamespace);
        TestContext.Current.TestOutputHelper?.WriteLine("$ kubectl get tenants -n " + OperatorTestCluster.TenantNamespace + "\n" + output);
        TestContext.Current.SendDiagnosticMessage("kubectl get tenants:\n" + output);
        Assert.True(exitCode == 0, errors);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "SLUG", "STATUS", "SCHEMA", "DATABASE", "READY", "AGE"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        // kubectl aligns columns under the header and leaves a missing value blank, so cells are cut at header positions.
        var starts = HeaderWord().Matches(lines[0]).Select(m => m.Index).ToArray();
        var rows = lines.Skip(1).Select(line => Cells(line, starts)).ToDictionary(cells => cells[0]);
        Assert.Equal(3, rows.Count);

        // The newest schema in sql/tenant is V2; the database names are the ones the operator recorded in status.
        Assert.Equal(["acme", "acme", "Active", "2", cluster.DatabaseNameFor("acme"), "True"], rows["acme"][..6]);
        Assert.Equal(["globex", "globex", "Suspended", "2", cluster.DatabaseNameFor("globex"), "False"], rows["globex"][..6]);

        // Refused before anything was provisioned: no slug given (the column shows spec.slug, not the defaulted one), no schema, no database.
        Assert.Equal(["initech", "initech", "Provisioning", "", "", "False"], rows["initech"][..6]);
        Assert.All(rows.Values, cells => Assert.Matches(Age(), cells[6]));
    }

    private static string Describe(k8s.Models.V1Condition? ready) => ready is null ? "no Ready" : $"{ready.Status} {ready.Reason}: {ready.Message}";

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static string[] Cells(string line, int[] starts) =>
        [.. starts.Select((start, i) => start >= line.Length ? "" : line[start..Math.Min(line.Length, i + 1 < starts.Length ? starts[i + 1] : line.Length)].Trim())];

    [GeneratedRegex(@"\S+")]
    private static partial Regex HeaderWord();

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(p => File.Exists(Path.Combine(p, program)));

    private async Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(string kubeconfig, params string[] arguments)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(_directory, "cache"), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"^\d+s$")]
    private static partial Regex Age();
}
