using System.Text;
using System.Text.Json.Nodes;
using ControlPlane.Sandbox.KubeApi.Tests.Infrastructure;
using k8s;
using k8s.Models;
using static ControlPlane.Sandbox.KubeApi.Tests.Infrastructure.TestServer;

namespace ControlPlane.Sandbox.KubeApi.Tests;

/// <summary>The real kubectl, pointed at the written kubeconfig, finds and reads what the server holds.</summary>
public sealed class KubectlTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("kube-api-kubectl-").FullName;

    [Fact]
    public async Task Kubectl_reads_custom_resources_secrets_and_discovery_through_the_written_kubeconfig()
    {
        if (Kubectl.UnavailableReason() is { } reason)
        {
            Assert.Skip(reason);
        }

        await using var server = await StartAsync();
        using var client = server.CreateClient();
        await CreateWidgetAsync(client, Widget("alpha", size: 4));
        await client.CoreV1.CreateNamespacedSecretAsync(
            new V1Secret { Metadata = new V1ObjectMeta { Name = "db-credentials" }, StringData = new Dictionary<string, string> { ["password"] = "s3cret" } },
            "default", cancellationToken: TestContext.Current.CancellationToken);
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        var kubectl = new Kubectl(kubeconfig, Path.Combine(_directory, "cache"));

        var raw = await kubectl.RunAsync("get", "--raw", "/apis/test.econt.io/v1/namespaces/default/widgets");
        Assert.True(raw.ExitCode == 0, raw.Stderr);
        var list = JsonNode.Parse(raw.Stdout)!;
        Assert.Equal("WidgetList", (string?)list["kind"]);
        Assert.Equal("alpha", (string?)list["items"]![0]!["metadata"]!["name"]);

        var secrets = await kubectl.RunAsync("get", "secrets", "-n", "default", "-o", "json");
        Assert.True(secrets.ExitCode == 0, secrets.Stderr);
        var secret = JsonNode.Parse(secrets.Stdout)!["items"]!.AsArray().Single(i => (string?)i!["metadata"]!["name"] == "db-credentials")!;
        Assert.Equal("s3cret", Encoding.UTF8.GetString(Convert.FromBase64String((string)secret["data"]!["password"]!)));

        var table = await kubectl.RunAsync("get", "widgets");
        Assert.True(table.ExitCode == 0, table.Stderr);
        Assert.Contains("alpha", table.Stdout, StringComparison.Ordinal);
        Assert.Equal(["NAME", "SIZE"], table.Stdout.Split('\n')[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(["alpha", "4"], table.Stdout.Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries));

        var watching = kubectl.RunAsync("get", "widgets", "-w", "--request-timeout=2s");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        await CreateWidgetAsync(client, Widget("beta", size: 5));
        var watched = await watching;
        Assert.True(watched.ExitCode == 0, watched.Stderr);
        Assert.Equal(["NAME SIZE", "alpha 4", "beta 5"], watched.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));

        // Nothing changes during this watch: kubectl must still get the watch's headers, end at its request timeout and
        // exit 0 (it retried the silent watch for half a minute while the server held the headers back).
        var quiet = await kubectl.RunAsync("get", "widgets", "-w", "--request-timeout=2s");
        Assert.True(quiet.ExitCode == 0, quiet.Stderr);
        Assert.Equal(["NAME SIZE", "alpha 4", "beta 5"], quiet.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => string.Join(' ', l.Split(' ', StringSplitOptions.RemoveEmptyEntries))));

        var byShortName = await kubectl.RunAsync("get", "wd", "alpha", "-o", "jsonpath={.spec.size}");
        Assert.True(byShortName.ExitCode == 0, byShortName.Stderr);
        Assert.Equal("4", byShortName.Stdout);

        var byCategory = await kubectl.RunAsync("get", "econt", "-o", "name");
        Assert.True(byCategory.ExitCode == 0, byCategory.Stderr);
        Assert.Contains("widget.test.econt.io/alpha", byCategory.Stdout, StringComparison.Ordinal);

        var crd = await kubectl.RunAsync("get", "crd", "widgets.test.econt.io", "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}");
        Assert.True(crd.ExitCode == 0, crd.Stderr);
        Assert.Equal("True", crd.Stdout);

        var resources = await kubectl.RunAsync("api-resources", "--api-group=test.econt.io", "-o", "name");
        Assert.True(resources.ExitCode == 0, resources.Stderr);
        Assert.Contains("widgets.test.econt.io", resources.Stdout, StringComparison.Ordinal);
        Assert.Contains("gadgets.test.econt.io", resources.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_apply_label_and_delete_change_what_the_server_holds()
    {
        if (Kubectl.UnavailableReason() is { } reason)
        {
            Assert.Skip(reason);
        }

        await using var server = await StartAsync();
        var kubeconfig = Path.Combine(_directory, "kubeconfig");
        server.WriteKubeconfig(kubeconfig);
        var kubectl = new Kubectl(kubeconfig, Path.Combine(_directory, "cache"));
        var manifest = Path.Combine(_directory, "widget.yaml");
        await File.WriteAllTextAsync(manifest, """
            apiVersion: test.econt.io/v1
            kind: Widget
            metadata:
              name: applied
            spec:
              size: 2
              region: eu
            ---
            apiVersion: v1
            kind: Secret
            metadata:
              name: creds
            stringData:
              password: pw
            """, TestContext.Current.CancellationToken);

        var apply = await kubectl.RunAsync("apply", "--validate=false", "-f", manifest);
        Assert.True(apply.ExitCode == 0, apply.Stderr);
        var label = await kubectl.RunAsync("label", "secret", "creds", "econt.io/tenant=acme");
        Assert.True(label.ExitCode == 0, label.Stderr);
        var reapply = await kubectl.RunAsync("apply", "--validate=false", "-f", manifest);
        Assert.True(reapply.ExitCode == 0, reapply.Stderr);

        var widget = server.GetStored(Group, V1, Widgets, "default", "applied")!;
        Assert.Equal(2, (int?)widget["spec"]!["size"]);
        Assert.Equal("green", (string?)widget["spec"]!["color"]);
        var stored = server.GetStored(string.Empty, "v1", "secrets", "default", "creds")!;
        Assert.Equal("acme", (string?)stored["metadata"]!["labels"]!["econt.io/tenant"]);
        Assert.Equal("pw", Encoding.UTF8.GetString(Convert.FromBase64String((string)stored["data"]!["password"]!)));

        var delete = await kubectl.RunAsync("delete", "widget", "applied");
        Assert.True(delete.ExitCode == 0, delete.Stderr);
        Assert.Null(server.GetStored(Group, V1, Widgets, "default", "applied"));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
