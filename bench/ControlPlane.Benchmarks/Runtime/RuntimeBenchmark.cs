using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using ControlPlane.Operator;
using ControlPlane.Operator.Api.V1Alpha1;
using ControlPlane.Operator.Hosting;
using ControlPlane.Runtime;
using ControlPlane.Sandbox.KubeApi;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace ControlPlane.Benchmarks.Runtime;

/// <summary>
/// <c>runtime</c>: the operator runtime's initial sync of 10,000 Tenants with a no-op reconciler (targets: under 5 s,
/// peak working set under 200 MB). The parent seeds an in-process API server and measures each side in a fresh child
/// process, so the API server's own memory and allocations are not charged to the runtime:
/// baseline = one paged LIST of every Tenant, deserialized (the least any controller must do);
/// runtime = the operator runtime from start until every Tenant is listed, cached, queued and reconciled once.
/// </summary>
internal sealed class RuntimeBenchmark : IBenchmark
{
    public const string ChildCommand = "runtime-child";
    private const int Tenants = 10_000;

    public string Name => "runtime";

    public string Description => "Operator runtime: initial sync of 10,000 Tenants with a no-op reconciler";

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        const int tenants = Tenants;
        await using var server = await KubeApiServer.StartAsync(new KubeApiServerOptions { HistoryLimit = tenants + 100 }, cancellationToken);
        var seed = server.CreateClient();
        await seed.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = "tenants" } }, cancellationToken: cancellationToken);
        var seeding = Stopwatch.StartNew();
        await Parallel.ForAsync(0, tenants, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = cancellationToken }, async (i, ct) =>
        {
            var tenant = new Tenant { Metadata = new V1ObjectMeta { Name = $"tenant-{i:00000}", NamespaceProperty = "tenants" } };
            tenant.Spec.DisplayName = $"Tenant {i}";
            tenant.Spec.Limits = new TenantLimits { MaxUsers = 50, MaxConnections = 20 };
            await seed.CustomObjects.CreateNamespacedCustomObjectAsync<Tenant>(tenant, Tenant.ApiGroup, Tenant.ApiVersionName, "tenants", Tenant.Plural, cancellationToken: ct);
        });
        Console.WriteLine($"Seeded {tenants} Tenants in {seeding.Elapsed.TotalSeconds:F1} s.");

        var kubeconfigPath = Path.Combine(Path.GetTempPath(), $"controlplane-bench-{Environment.ProcessId}.kubeconfig");
        server.WriteKubeconfig(kubeconfigPath);
        try
        {
            // The first LIST after seeding also warms the API server (JIT, its own caches); it is not charged to either side.
            Child("baseline", kubeconfigPath, tenants);
            var baseline = Child("baseline", kubeconfigPath, tenants);
            var measured = Child("runtime", kubeconfigPath, tenants);
            Console.WriteLine();
            Console.WriteLine($"{"",-10} {"objects",8} {"wall",10} {"allocated",12} {"peak WS",10}");
            foreach (var (name, r) in new[] { ("baseline", baseline), ("runtime", measured) })
            {
                Console.WriteLine($"{name,-10} {r.Seen,8} {r.WallMs,8:F0} ms {r.Allocated / 1048576.0,9:F1} MB {r.PeakWorkingSet / 1048576.0,7:F1} MB");
            }

            Console.WriteLine($"{"ratio",-10} {"",8} {measured.WallMs / baseline.WallMs,9:F2}x {(double)measured.Allocated / baseline.Allocated,11:F2}x {(double)measured.PeakWorkingSet / baseline.PeakWorkingSet,9:F2}x");
            var wallOk = measured.WallMs < 5000;
            var memoryOk = measured.PeakWorkingSet < 200L * 1048576;
            Console.WriteLine($"Targets: initial sync < 5 s: {(wallOk ? "met" : "MISSED")}; peak working set < 200 MB: {(memoryOk ? "met" : "MISSED")}.");
            return measured.Seen == tenants && wallOk && memoryOk ? 0 : 1;
        }
        finally
        {
            File.Delete(kubeconfigPath);
        }

    }

    /// <summary>The measured side, in its own process: <c>runtime-child baseline|runtime KUBECONFIG COUNT</c>.</summary>
    public static async Task<int> RunChildAsync(string mode, string kubeconfig, int count)
    {
        var client = KubernetesClientFactory.Create(KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig));
        var clock = Stopwatch.StartNew();
        var seen = mode == "baseline" ? await BaselineAsync(client) : await SyncAsync(client, count);
        clock.Stop();
        Console.WriteLine(string.Join(' ', seen, clock.Elapsed.TotalMilliseconds.ToString("F0", CultureInfo.InvariantCulture),
            GC.GetTotalAllocatedBytes(true), Process.GetCurrentProcess().PeakWorkingSet64));
        return 0;
    }

    private static async Task<int> BaselineAsync(IKubernetes client)
    {
        var tenants = new KubernetesResourceClient<Tenant>(client, TenantOperator.Resource);
        var all = new List<Tenant>();
        string? next = null;
        do
        {
            var page = await tenants.ListAsync(null, next, 500, CancellationToken.None);
            all.AddRange(page.Items);
            next = page.Continue;
        }
        while (next is not null);

        return all.Count;
    }

    private static async Task<int> SyncAsync(IKubernetes client, int count)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var options = new OperatorOptions { MaxConcurrentReconciles = 4, LeaderElection = { Enabled = false } };
        var reconciler = new NoOpReconciler();
        var tenantOperator = new TenantRuntime(
            client, options, TimeProvider.System, new OperatorMetrics(services.GetRequiredService<IMeterFactory>()), NullLoggerFactory.Instance, () => reconciler);
        using var stop = new CancellationTokenSource();
        var run = tenantOperator.RunAsync(stop.Token);
        await reconciler.WaitForAsync(count);
        await stop.CancelAsync();
        await run;
        return reconciler.Count;
    }

    private static BenchResult Child(string mode, string kubeconfig, int count)
    {
        using var child = Process.Start(new ProcessStartInfo(Environment.ProcessPath!, [ChildCommand, mode, kubeconfig, count.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        })!;
        var output = child.StandardOutput.ReadToEnd().Trim();
        child.WaitForExit();
        var parts = output.Split(' ');
        if (child.ExitCode != 0 || parts.Length != 4)
        {
            throw new InvalidOperationException($"{mode} child failed ({child.ExitCode}): {output}");
        }

        return new BenchResult(int.Parse(parts[0], CultureInfo.InvariantCulture), double.Parse(parts[1], CultureInfo.InvariantCulture),
            long.Parse(parts[2], CultureInfo.InvariantCulture), long.Parse(parts[3], CultureInfo.InvariantCulture));
    }

    private sealed record BenchResult(int Seen, double WallMs, long Allocated, long PeakWorkingSet);
}

/// <summary>Counts distinct tenants reconciled; completes when all were seen once.</summary>
internal sealed class NoOpReconciler : IReconciler<Tenant>
{
    private readonly HashSet<string> _seen = [];
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _target = int.MaxValue;

    public int Count
    {
        get
        {
            lock (_seen)
            {
                return _seen.Count;
            }
        }
    }

    public Task WaitForAsync(int target)
    {
        lock (_seen)
        {
            _target = target;
            if (_seen.Count >= target)
            {
                _all.TrySetResult();
            }
        }

        return _all.Task;
    }

    public Task<ReconcileResult> ReconcileAsync(Tenant resource, CancellationToken cancellationToken)
    {
        lock (_seen)
        {
            if (_seen.Add(resource.Metadata.Name) && _seen.Count >= _target)
            {
                _all.TrySetResult();
            }
        }

        return Task.FromResult(ReconcileResult.Success());
    }
}
