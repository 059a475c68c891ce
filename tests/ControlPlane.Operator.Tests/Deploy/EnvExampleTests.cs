using System.Text.RegularExpressions;

namespace ControlPlane.Operator.Tests.Deploy;

/// <summary>.env.example lists exactly the variables the code reads: each named once as a <c>…Variable</c> constant or read by name.</summary>
public sealed partial class EnvExampleTests
{
    /// <summary>Read only to find the user's cache folder, as every tool does; not the project's configuration.</summary>
    private static readonly string[] PlatformVariables = ["XDG_CACHE_HOME"];

    [Fact]
    public void Env_example_lists_every_variable_the_code_reads_and_no_other()
    {
        var listed = File.ReadAllLines(RepositoryFiles.PathOf(".env.example"))
            .Select(line => Listed().Match(line))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value)
            .ToHashSet();
        var read = ((string[])["src", Path.Combine("tests", "ControlPlane.Testing")])
            .SelectMany(folder => Directory.EnumerateFiles(RepositoryFiles.PathOf(folder), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(path => Read().Matches(File.ReadAllText(path)))
            .Select(m => m.Groups["name"].Value)
            .Except(PlatformVariables)
            .ToHashSet();

        Assert.Empty(read.Except(listed).Order());
        Assert.Empty(listed.Except(read).Order());
    }

    [GeneratedRegex(@"^#?\s*([A-Z][A-Z0-9_]+)=")]
    private static partial Regex Listed();

    [GeneratedRegex("""const string \w*Variable\w* = "(?<name>[A-Z][A-Z0-9_]+)"|GetEnvironmentVariable\("(?<name>[A-Z][A-Z0-9_]+)"\)""")]
    private static partial Regex Read();
}
