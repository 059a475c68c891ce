using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace ControlPlane.Operator.Tests.Deploy;

/// <summary>
/// What `kubectl apply -k` would send, rendered by the real `kubectl kustomize` (as .ci/run does): the migrate Job runs
/// the operator's own image with `migrate` before the operator (Argo CD waves), and no rendered manifest carries a secret value.
/// </summary>
public sealed partial class KustomizeRenderTests
{
    public static TheoryData<string> Targets => ["config/default", "config/overlays/dev", "config/overlays/prod"];

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task The_migrate_Job_runs_the_operator_image_with_migrate_before_the_operator(string target)
    {
        var objects = await RenderAsync(target);

        var job = Single(objects, "Job", "controlplane-migrate");
        var deployment = Single(objects, "Deployment", "controlplane-operator");
        var migrate = Containers(job).Single();
        var operatorContainer = Containers(deployment).Single();

        Assert.Equal(Scalar(operatorContainer, "image"), Scalar(migrate, "image"));
        Assert.Equal(["migrate"], Sequence(migrate, "args"));
        Assert.Equal(Namespace(deployment), Namespace(job));
        Assert.Equal(EnvironmentOf(operatorContainer), EnvironmentOf(migrate));
        Assert.Equal("Sync", Annotation(job, "argocd.argoproj.io/hook"));
        Assert.True(int.Parse(Annotation(job, "argocd.argoproj.io/sync-wave")!, System.Globalization.CultureInfo.InvariantCulture)
                    < int.Parse(Annotation(deployment, "argocd.argoproj.io/sync-wave")!, System.Globalization.CultureInfo.InvariantCulture),
            "the operator's sync wave must come after the migrate Job's");
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task No_rendered_manifest_carries_a_secret_value(string target)
    {
        var objects = await RenderAsync(target);

        Assert.DoesNotContain(objects, o => Kind(o) == "Secret");
        var env = objects.SelectMany(o => Descendants(o).OfType<YamlMappingNode>())
            .Where(m => m.Children.ContainsKey("name") && (m.Children.ContainsKey("value") || m.Children.ContainsKey("valueFrom")));
        foreach (var variable in env.Where(v => SecretLike().IsMatch(((YamlScalarNode)v["name"]).Value!)))
        {
            Assert.False(variable.Children.ContainsKey("value"), $"{((YamlScalarNode)variable["name"]).Value} must come from a Secret (valueFrom)");
        }
    }

    [Fact]
    public async Task The_dev_overlay_runs_one_replica_in_dev_and_prod_pins_a_release()
    {
        var dev = Single(await RenderAsync("config/overlays/dev"), "Deployment", "controlplane-operator");
        var prod = Single(await RenderAsync("config/overlays/prod"), "Deployment", "controlplane-operator");

        Assert.Equal("1", ((YamlScalarNode)((YamlMappingNode)dev["spec"])["replicas"]).Value);
        Assert.Equal("dev", EnvironmentOf(Containers(dev).Single())["ENVIRONMENT"]);
        Assert.Equal("prod", EnvironmentOf(Containers(prod).Single())["ENVIRONMENT"]);
        Assert.DoesNotMatch(":latest$", Scalar(Containers(prod).Single(), "image"));
    }

    private static async Task<List<YamlMappingNode>> RenderAsync(string target)
    {
        Assert.SkipWhen(!OnPath("kubectl"), "kubectl is not on PATH");
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("kustomize");
        start.ArgumentList.Add(RepositoryFiles.PathOf(target.Split('/')));
        using var process = Process.Start(start)!;
        var cancellationToken = TestContext.Current.CancellationToken;
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        Assert.True(process.ExitCode == 0, await stderr);

        var stream = new YamlStream();
        stream.Load(new StringReader(await stdout));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Single(List<YamlMappingNode> objects, string kind, string name) =>
        Assert.Single(objects, o => Kind(o) == kind && Scalar((YamlMappingNode)o["metadata"], "name") == name);

    private static string? Kind(YamlMappingNode o) => Scalar(o, "kind");

    private static string? Namespace(YamlMappingNode o) => Scalar((YamlMappingNode)o["metadata"], "namespace");

    private static string? Annotation(YamlMappingNode o, string key) =>
        ((YamlMappingNode)o["metadata"]).Children.TryGetValue("annotations", out var annotations) ? Scalar((YamlMappingNode)annotations, key) : null;

    private static IEnumerable<YamlMappingNode> Containers(YamlMappingNode workload) =>
        ((YamlSequenceNode)((YamlMappingNode)((YamlMappingNode)((YamlMappingNode)workload["spec"])["template"])["spec"])["containers"]).Cast<YamlMappingNode>();

    /// <summary>Literal values by name, and "from:secret/key" for values read from a Secret.</summary>
    private static Dictionary<string, string> EnvironmentOf(YamlMappingNode container) =>
        ((YamlSequenceNode)container["env"]).Cast<YamlMappingNode>()
            .Where(v => v.Children.ContainsKey("value") || ((YamlMappingNode)v["valueFrom"]).Children.ContainsKey("secretKeyRef"))
            .Where(v => Scalar(v, "name") is "ENVIRONMENT" or "CONTROL_PLANE_DATABASE_URL")
            .ToDictionary(
                v => Scalar(v, "name")!,
                v => Scalar(v, "value") ?? "from:" + Scalar((YamlMappingNode)((YamlMappingNode)v["valueFrom"])["secretKeyRef"], "name") + "/"
                     + Scalar((YamlMappingNode)((YamlMappingNode)v["valueFrom"])["secretKeyRef"], "key"));

    private static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) ? (value as YamlScalarNode)?.Value : null;

    private static List<string?> Sequence(YamlMappingNode node, string key) =>
        ((YamlSequenceNode)node[key]).Cast<YamlScalarNode>().Select(s => s.Value).ToList();

    private static IEnumerable<YamlNode> Descendants(YamlNode node) => node switch
    {
        YamlMappingNode m => m.Children.Values.SelectMany(Descendants).Prepend(m),
        YamlSequenceNode s => s.Children.SelectMany(Descendants).Prepend(s),
        _ => [node],
    };

    private static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(p => File.Exists(Path.Combine(p, program)));

    [GeneratedRegex("PASSWORD|_TOKEN$|DATABASE_URL|SECRET$|_KEY$", RegexOptions.IgnoreCase)]
    private static partial Regex SecretLike();
}
