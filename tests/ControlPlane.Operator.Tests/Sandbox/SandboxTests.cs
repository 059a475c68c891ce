using System.Diagnostics;
using System.Text.RegularExpressions;
using ControlPlane.Testing;
using Npgsql;

namespace ControlPlane.Operator.Tests.Sandbox;

/// <summary>
/// The README's first command on a fresh machine: no cluster, no kubeconfig, dev. The real executable, the real kubectl,
/// the real embedded PostgreSQL 17; the sample tenant is applied exactly as the printed hint says.
/// </summary>
public sealed partial class SandboxTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(4);
    private readonly string _directory = Traversable(Directory.CreateTempSubdirectory("sandbox-").FullName);
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    private string DevDirectory => Path.Combine(_directory, "dev");

    private string Home => Directory.CreateDirectory(Path.Combine(_directory, "home")).FullName;

    [Fact]
    public async Task With_no_kubeconfig_in_dev_the_operator_runs_its_sandbox_and_tenants_survive_a_restart()
    {
        Assert.SkipWhen(!OnPath("kubectl"), "kubectl is not on PATH");
        var environment = SandboxProcess.FreshMachine(DevDirectory, Home);

        long eventsBefore;
        uint databaseBefore;
        string kubeconfig;
        await using (var first = SandboxProcess.Start(environment))
        {
            kubeconfig = (await first.WaitForLineAsync("export KUBECONFIG=", Patience, _ct)).Trim();
            Assert.Equal(Path.Combine(DevDirectory, "kubeconfig"), kubeconfig);
            Assert.Contains("kubectl apply -f config/samples/tenant-acme.yaml", first.Output, StringComparison.Ordinal);
            Assert.Contains("kubectl get tenants", first.Output, StringComparison.Ordinal);

            var applied = await KubectlAsync(kubeconfig, "apply", "-f", RepositoryFiles.PathOf("config", "samples", "tenant-acme.yaml"));
            Assert.True(applied.ExitCode == 0, applied.Stderr);
            await WaitForActiveAcmeAsync(kubeconfig);

            var resolved = await OperatorProcess.RunAsync(["resolve", "acme"], environment, _ct);
            Assert.True(resolved.ExitCode == 0, resolved.Output);
            Assert.Contains("status     resolved", resolved.Output, StringComparison.Ordinal);

            (eventsBefore, databaseBefore) = await CatalogFactsAsync();
        }

        await using var second = SandboxProcess.Start(environment);
        Assert.Equal(kubeconfig, (await second.WaitForLineAsync("export KUBECONFIG=", Patience, _ct)).Trim());
        await WaitForReadyAsync(second.Port);
        await WaitForActiveAcmeAsync(kubeconfig);

        // No new DDL: the tenant's story in the catalog has no new event and its database is the very same one.
        Assert.Equal((eventsBefore, databaseBefore), await CatalogFactsAsync());
    }

    [Fact]
    public async Task Outside_dev_a_missing_kubeconfig_is_one_line_and_exit_code_2()
    {
        var environment = SandboxProcess.FreshMachine(DevDirectory, Home);
        environment["ENVIRONMENT"] = "prod";
        environment["CONTROL_PLANE_DATABASE_URL"] = "postgresql://controlplane@127.0.0.1:1/platform_admin";
        environment["SECRET_MANAGER_BACKEND"] = "k8s";
        environment["POD_NAMESPACE"] = "econt-system";
        using var tls = new TestCertificates();
        tls.IssueServer("resolver", "localhost");
        environment["RESOLVER_TLS_CERT_FILE"] = tls.CertificateFile("resolver");
        environment["RESOLVER_TLS_KEY_FILE"] = tls.KeyFile("resolver");

        var outcome = await OperatorProcess.RunAsync(["run"], environment, _ct);

        Assert.Equal(2, outcome.ExitCode);
        var line = Assert.Single(outcome.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Contains("set KUBECONFIG", line, StringComparison.Ordinal);
        Assert.False(Directory.Exists(DevDirectory), "no sandbox outside dev");
    }

    private async Task WaitForActiveAcmeAsync(string kubeconfig)
    {
        var deadline = Stopwatch.StartNew();
        var last = "";
        while (deadline.Elapsed < Patience)
        {
            var (exitCode, stdout, stderr) = await KubectlAsync(kubeconfig, "get", "tenants");
            last = stdout + stderr;
            if (exitCode == 0 && ActiveAcme().IsMatch(stdout))
            {
                return;
            }

            await Task.Delay(500, _ct);
        }

        Assert.Fail("acme never showed Active 2 … True; last `kubectl get tenants`:\n" + last);
    }

    private async Task WaitForReadyAsync(int port)
    {
        using var http = new HttpClient();
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < Patience)
        {
            try
            {
                if ((await http.GetAsync(new Uri($"http://127.0.0.1:{port}/readyz"), _ct)).IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            await Task.Delay(500, _ct);
        }

        Assert.Fail("the restarted operator never became ready");
    }

    /// <summary>acme's audit events and its database's OID: both unchanged when a restart repeats no DDL.</summary>
    private async Task<(long Events, uint Database)> CatalogFactsAsync()
    {
        var port = int.Parse(await File.ReadAllTextAsync(Path.Combine(DevDirectory, "postgres", "port"), _ct), System.Globalization.CultureInfo.InvariantCulture);
        var catalog = new NpgsqlConnectionStringBuilder { Host = "127.0.0.1", Port = port, Username = "postgres", Database = "platform_admin", Pooling = false };
        await using var connection = new NpgsqlConnection(catalog.ConnectionString);
        await connection.OpenAsync(_ct);
        await using var events = new NpgsqlCommand(
            "SELECT count(*) FROM control_plane.tenant_events e JOIN control_plane.tenants t ON t.id = e.tenant_id WHERE t.slug = 'acme'", connection);
        var count = (long)(await events.ExecuteScalarAsync(_ct))!;
        await using var database = new NpgsqlCommand(
            "SELECT d.oid FROM pg_database d JOIN control_plane.tenants t ON t.db_name = d.datname WHERE t.slug = 'acme'", connection);
        return (count, (uint)(await database.ExecuteScalarAsync(_ct))!);
    }

    private async Task<(int ExitCode, string Stdout, string Stderr)> KubectlAsync(string kubeconfig, params string[] arguments)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])["--kubeconfig", kubeconfig, "--cache-dir", Path.Combine(_directory, "kube-cache"), .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Run as root, the embedded PostgreSQL runs as nobody, which must reach .dev through this folder (0700 by default).</summary>
    private static string Traversable(string directory)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                                            | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        return directory;
    }

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(p => File.Exists(Path.Combine(p, program)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // PostgreSQL (run as nobody) may still hold a file for a moment; the temp folder is swept by the OS.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    [GeneratedRegex(@"^acme\s+acme\s+Active\s+2\s+\S+\s+True\s", RegexOptions.Multiline)]
    private static partial Regex ActiveAcme();
}
