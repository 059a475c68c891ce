using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ControlPlane.Operator.Tests.Architecture;

/// <summary>
/// The dependency rules of docs/architecture.md, checked against the compiled assemblies (issue 19): projects and the
/// operator's namespaces point one way, Hosting is used by the entry point only, the secret store pulls in no database
/// driver, and the documented edges are exactly the compiled ones.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly Assembly OperatorAssembly = typeof(OperatorMetrics).Assembly;

    /// <summary>The operator's namespaces that may use Hosting: the entry point (top-level Program, the commands) and Hosting itself.</summary>
    private static readonly HashSet<string> EntryPoint = ["(entry)", "Commands", "Hosting"];

    private static readonly Assembly[] Projects =
    [
        typeof(global::ControlPlane.Core.Secrets.SecretReference).Assembly,
        typeof(global::ControlPlane.Runtime.ReconcileResult).Assembly,
        typeof(global::ControlPlane.Store.Catalog.TenantCatalog).Assembly,
        typeof(global::ControlPlane.Secrets.ISecretStore).Assembly,
        typeof(global::ControlPlane.Client.TenantConnectionResolver).Assembly,
        typeof(global::ControlPlane.Sandbox.KubeApi.KubeApiServer).Assembly,
        OperatorAssembly,
    ];

    [Fact]
    public void No_namespace_of_the_operator_uses_Hosting_but_the_entry_point()
    {
        var offenders = OperatorTypeReferences()
            .Where(r => NamespaceOf(r.To) == "Hosting" && !EntryPoint.Contains(NamespaceOf(r.From)!))
            .Select(r => $"{r.From.FullName} uses {r.To.FullName}")
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.True(offenders.Count == 0, "Hosting is the top of the operator; only the entry point uses it:\n" + string.Join("\n", offenders));
    }

    [Fact]
    public void The_secret_store_references_neither_Npgsql_nor_Evolve()
    {
        var compiled = ReferenceClosure(typeof(global::ControlPlane.Secrets.ISecretStore).Assembly)
            .Where(IsDatabaseDriver)
            .ToList();
        Assert.True(compiled.Count == 0, "ControlPlane.Secrets reaches " + string.Join(", ", compiled));

        // The packages restored for the project too: a driver can arrive through a project reference without being called.
        var locked = LockedPackages("src/ControlPlane.Secrets/packages.lock.json").Where(IsDatabaseDriver).ToList();
        Assert.True(locked.Count == 0, "src/ControlPlane.Secrets/packages.lock.json restores " + string.Join(", ", locked));
    }

    [Fact]
    public void Core_holds_no_driver_and_no_Kubernetes_client()
    {
        var references = typeof(global::ControlPlane.Core.Secrets.SecretReference).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.All(references, name => Assert.True(name.StartsWith("System.", StringComparison.Ordinal) || name is "System" or "netstandard",
            $"ControlPlane.Core references {name}"));
        Assert.Empty(LockedPackages("src/ControlPlane.Core/packages.lock.json"));
    }

    [Fact]
    public void The_runtime_knows_no_other_project()
    {
        var projects = typeof(global::ControlPlane.Runtime.ReconcileResult).Assembly.GetReferencedAssemblies().Select(a => a.Name!).Where(IsProject).ToList();
        Assert.Empty(projects);
    }

    [Fact]
    public void The_namespaces_of_the_operator_have_no_cycle()
    {
        var cycle = FindCycle(OperatorNamespaceEdges());
        Assert.True(cycle is null, "namespace cycle: " + string.Join(" -> ", cycle ?? []));
    }

    [Fact]
    public void The_documented_dependencies_are_the_compiled_ones()
    {
        var documented = DocumentedEdges();
        var compiled = ProjectEdges().Select(e => $"project {e.From} -> {e.To}")
            .Concat(OperatorNamespaceEdges().SelectMany(e => e.Value.Select(to => $"namespace {e.Key} -> {to}")))
            .ToHashSet(StringComparer.Ordinal);

        var undocumented = compiled.Except(documented).Order(StringComparer.Ordinal).ToList();
        var stale = documented.Except(compiled).Order(StringComparer.Ordinal).ToList();
        Assert.True(undocumented.Count == 0 && stale.Count == 0,
            "docs/architecture.md (block ```edges) differs from the compiled references.\nIn the code, not in the doc:\n  "
            + string.Join("\n  ", undocumented) + "\nIn the doc, not in the code:\n  " + string.Join("\n  ", stale));
    }

    [Fact]
    public void A_cycle_is_found_where_there_is_one()
    {
        // The cycle search itself, on a graph with a known cycle and on one without (so the test above can fail).
        var cyclic = new Dictionary<string, SortedSet<string>> { ["a"] = ["b"], ["b"] = ["c"], ["c"] = ["a"], ["d"] = ["a"] };
        var acyclic = new Dictionary<string, SortedSet<string>> { ["a"] = ["b", "c"], ["b"] = ["c"], ["c"] = [] };
        Assert.Equal(["a", "b", "c", "a"], FindCycle(cyclic));
        Assert.Null(FindCycle(acyclic));
    }

    private static IEnumerable<(Type From, Type To)> OperatorTypeReferences() =>
        CompiledDependencies.TypeReferences(OperatorAssembly)
            .Where(r => NamespaceOf(r.From) is not null && NamespaceOf(r.To) is not null);

    /// <summary>Namespace → the namespaces it uses, inside the operator (relative names; "(root)" for ControlPlane.Operator).</summary>
    private static SortedDictionary<string, SortedSet<string>> OperatorNamespaceEdges()
    {
        var edges = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var (from, to) in OperatorTypeReferences())
        {
            var (a, b) = (NamespaceOf(from)!, NamespaceOf(to)!);
            if (!edges.TryGetValue(a, out var targets))
            {
                edges[a] = targets = new SortedSet<string>(StringComparer.Ordinal);
            }

            if (a != b)
            {
                targets.Add(b);
            }
        }

        return edges;
    }

    /// <summary>The operator-relative namespace of a type of the operator assembly; null for other assemblies and compiler plumbing.</summary>
    private static string? NamespaceOf(Type type)
    {
        if (type.Assembly != OperatorAssembly)
        {
            return null;
        }

        return type.Namespace switch
        {
            null when type.Name == "Program" => "(entry)",
            "ControlPlane.Operator" => "(root)",
            { } ns when ns.StartsWith("ControlPlane.Operator.", StringComparison.Ordinal) => ns["ControlPlane.Operator.".Length..],
            _ => null,
        };
    }

    private static IEnumerable<(string From, string To)> ProjectEdges() =>
        Projects.SelectMany(p => p.GetReferencedAssemblies().Select(r => r.Name!).Where(IsProject).Select(r => (ProjectName(p.GetName().Name!), ProjectName(r))));

    private static bool IsProject(string assemblyName) =>
        assemblyName.StartsWith("ControlPlane.", StringComparison.Ordinal) || assemblyName == OperatorAssembly.GetName().Name;

    /// <summary>The operator's assembly is named after its executable (<c>controlplane</c>); the doc names projects.</summary>
    private static string ProjectName(string assemblyName) =>
        assemblyName == OperatorAssembly.GetName().Name ? "ControlPlane.Operator" : assemblyName;

    private static bool IsDatabaseDriver(string name) =>
        name.StartsWith("Npgsql", StringComparison.OrdinalIgnoreCase) || name.StartsWith("Evolve", StringComparison.OrdinalIgnoreCase);

    private static IEnumerable<string> ReferenceClosure(Assembly root)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<AssemblyName>(root.GetReferencedAssemblies());
        while (pending.TryPop(out var name))
        {
            if (!seen.Add(name.Name!) || !IsProject(name.Name!))
            {
                continue;
            }

            foreach (var next in Assembly.Load(name).GetReferencedAssemblies())
            {
                pending.Push(next);
            }
        }

        return seen;
    }

    private static List<string> LockedPackages(string lockFile)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(RepositoryFiles.PathOf(lockFile.Split('/'))));
        return [.. json.RootElement.GetProperty("dependencies").EnumerateObject().SelectMany(framework => framework.Value.EnumerateObject()).Select(p => p.Name)];
    }

    private static HashSet<string> DocumentedEdges()
    {
        var doc = File.ReadAllText(RepositoryFiles.PathOf("docs", "architecture.md"));
        var block = EdgesBlock().Match(doc);
        Assert.True(block.Success, "docs/architecture.md has no ```edges block");
        return block.Groups[1].Value.Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l => Regex.Replace(l, @"\s+", " "))
            .ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A path that returns to its start, or null when the graph has none.</summary>
    internal static List<string>? FindCycle(IDictionary<string, SortedSet<string>> edges)
    {
        var state = new Dictionary<string, int>(StringComparer.Ordinal);
        var path = new List<string>();

        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (var next in edges.TryGetValue(node, out var targets) ? targets : [])
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.Skip(path.IndexOf(next)), next];
                }

                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }

        foreach (var node in edges.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }

    [GeneratedRegex(@"```edges\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex EdgesBlock();
}
