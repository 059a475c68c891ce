using System.Text.RegularExpressions;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Provisioning;
using ControlPlane.Store.Catalog;

namespace ControlPlane.Operator.Tests.Api;

/// <summary>
/// Condition reasons, Kubernetes Event reasons and catalog event types are written once, in the files that define their
/// types; everywhere else in src/ they are named. A literal elsewhere is a second spelling that drifts (the Argo CD
/// health tables, the CRD corpus and the catalog rows read the wire values), so this test greps the source tree.
/// </summary>
public sealed partial class ReasonLiteralTests
{
    /// <summary>The files that define the reason types with their wire values (and the phase and status values spelled like some reasons).</summary>
    private static readonly string[] DefiningFiles =
    [
        "src/ControlPlane.Operator/Api/V1Alpha1/TenantConditions.cs",
        "src/ControlPlane.Operator/Api/V1Alpha1/TenantEvents.cs",
        "src/ControlPlane.Operator/Api/V1Alpha1/TenantStatus.cs",
        "src/ControlPlane.Operator/Api/V1Alpha1/SchemaRolloutStatus.cs",
        "src/ControlPlane.Operator/Api/V1Alpha1/TenantDatabaseServerResource.cs",
        "src/ControlPlane.Operator/Provisioning/AdminPasswordRotator.cs",
        "src/ControlPlane.Store/Catalog/CatalogEventType.cs",
    ];

    [Fact]
    public void No_reason_or_event_type_is_a_string_literal_outside_the_files_that_define_them()
    {
        var known = KnownReasons();
        var found = new List<string>();
        foreach (var (path, text) in SourceFiles())
        {
            foreach (Match literal in StringLiteral().Matches(text))
            {
                var value = literal.Groups["value"];
                if (value.Success && known.Contains(value.Value))
                {
                    found.Add($"{path}:{LineOf(text, literal.Index)}: \"{value}\" is a reason; name it");
                }
            }

            foreach (Match position in ReasonPosition().Matches(text))
            {
                found.Add($"{path}:{LineOf(text, position.Index)}: a literal where a reason goes: {position.Value.ReplaceLineEndings(" ")}");
            }
        }

        Assert.True(found.Count == 0, $"{found.Count} reason literal(s) outside the defining files:\n{string.Join('\n', found)}");
    }

    [Fact]
    public void The_grep_sees_a_literal_reason_and_a_literal_in_a_reason_position()
    {
        var known = KnownReasons();

        Assert.Contains(TenantReadyReason.InvalidSpec.ToWire(), known);
        Assert.Contains(SchemaRolloutPhase.Halted.ToWire(), known);
        Assert.Contains(AdminPasswordFailure.NotRotatable.ToWire(), known);
        Assert.DoesNotContain(CatalogEventType.Error.ToWire(), known);
        Assert.Equal(["InvalidSpec"], RegularLiterals("Fail(\"InvalidSpec\")"));
        Assert.Equal(["Halted"], RegularLiterals("Log($\"{a} \\\"{b}\\\" at {c}\"); var type = phase == \"Halted\" ? @\"x\"\"y\" : '\"';"));
        Assert.Matches(ReasonPosition(), "await events.RecordAsync(marked, EventRecorder.Normal, \"Deleted\",");
        Assert.Matches(ReasonPosition(), "throw new SchemaMigrationException(\n    \"UnknownSchemaVersion\", message);");
        Assert.Matches(ReasonPosition(), "return ReconcileResult.TerminalError(\"Halted\", message);");
        Assert.Matches(ReasonPosition(), "new SchemaRolloutFailure { Name = name, Reason = \"Halted\" }");
        Assert.Matches(ReasonPosition(), "newest is { EventType: \"error\", Payload: { } payload }");
        Assert.Matches(ReasonPosition(), "internal const string DriftRepairedEvent = \"DriftRepaired\";");
        Assert.DoesNotMatch(ReasonPosition(), "throw new ArgumentException(\"The database name must be short.\", nameof(name));");
        Assert.DoesNotMatch(ReasonPosition(), "public const string DefaultSuspendedReason = \"Suspended through the Tenant resource.\";");
    }

    /// <summary>
    /// The wire values of the PascalCase reasons: of conditions, of Events, of rollout phases, of the admin password
    /// rotation's failures. Catalog event types and the rotation's results are plain words ("error", "failed") that also
    /// name JSON keys and output fields, so they are found by position instead.
    /// </summary>
    private static HashSet<string> KnownReasons() =>
    [
        .. Enum.GetValues<TenantReadyReason>().Select(r => r.ToWire()),
        .. Enum.GetValues<TenantEventReason>().Select(r => r.ToWire()),
        .. Enum.GetValues<SchemaRolloutReason>().Select(r => r.ToWire()),
        .. Enum.GetValues<SchemaRolloutPhase>().Select(p => p.ToWire()),
        .. Enum.GetValues<TenantDatabaseServerReadyReason>().Select(r => r.ToWire()),
        .. Enum.GetValues<AdminPasswordFailure>().Select(f => f.ToWire()),
    ];

    /// <summary>Every C# file of src/ but the defining ones, with its comment lines blanked (line numbers kept).</summary>
    private static IEnumerable<(string Path, string Text)> SourceFiles()
    {
        var root = RepositoryFiles.Root;
        var defining = DefiningFiles.Select(f => Path.GetFullPath(Path.Combine(root, f))).ToHashSet(StringComparer.Ordinal);
        var separator = Path.DirectorySeparatorChar;
        return Directory.EnumerateFiles(Path.Combine(root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{separator}obj{separator}", StringComparison.Ordinal)
                && !f.Contains($"{separator}bin{separator}", StringComparison.Ordinal)
                && !defining.Contains(Path.GetFullPath(f)))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(root, f), string.Join('\n', File.ReadAllLines(f)
                .Select(line => line.TrimStart().StartsWith("//", StringComparison.Ordinal) ? "" : line))));
    }

    private static string[] RegularLiterals(string text) =>
        [.. StringLiteral().Matches(text).Where(m => m.Groups["value"].Success).Select(m => m.Groups["value"].Value)];

    private static int LineOf(string text, int index) => text.AsSpan(0, index).Count('\n') + 1;

    /// <summary>
    /// Every string or char literal in order, so that the quotes pair up as the compiler pairs them (an interpolated or
    /// verbatim string is consumed whole and its closing quote never opens a literal); a regular one's text is in <c>value</c>.
    /// </summary>
    [GeneratedRegex(@"\$*""""""[\s\S]*?""""""|\$?@\$?""(?:[^""]|"""")*""|\$""(?:[^""\\{]|\\.|\{[^}]*\})*""|'(?:[^'\\\n]|\\.)'|""(?<value>(?:[^""\\\n]|\\.)*)""")]
    private static partial Regex StringLiteral();

    /// <summary>
    /// A literal where a reason goes: the reason of an Event or a terminal result (whatever its text), a one-word reason
    /// of a condition, a failure or an exception, a catalog event type compared, or a reason constant declared elsewhere.
    /// </summary>
    [GeneratedRegex("""EventRecorder\.(Normal|Warning),\s*\$?"|TerminalError\(\s*\$?"|\b[Rr]eason\s*[:=]\s*"[A-Z][A-Za-z]+"|Exception\(\s*"[A-Z][A-Za-z]+"\s*,|\bEventType\s*(==|!=|:|is)\s*"|const string \w+(Reason|Event)\s*=\s*"[A-Z][A-Za-z]+";""")]
    private static partial Regex ReasonPosition();
}
