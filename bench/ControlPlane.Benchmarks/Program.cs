using ControlPlane.Benchmarks;

// One subcommand per benchmark; add a new one by implementing IBenchmark in its own folder and listing it here.
IBenchmark[] benchmarks =
[
    new ControlPlane.Benchmarks.Catalog.CatalogBenchmark(),
    new ControlPlane.Benchmarks.Secrets.SecretsBenchmark(),
    new ControlPlane.Benchmarks.Runtime.RuntimeBenchmark(),
    new ControlPlane.Benchmarks.Resolver.ResolverBenchmark(),
    new ControlPlane.Benchmarks.Provision.ProvisionBenchmark(
        args is ["provision", var n, ..] ? int.Parse(n, System.Globalization.CultureInfo.InvariantCulture) : ControlPlane.Benchmarks.Provision.ProvisionBenchmark.DefaultCount,
        args is ["provision", _, var resync] ? int.Parse(resync, System.Globalization.CultureInfo.InvariantCulture) : ControlPlane.Benchmarks.Provision.ProvisionBenchmark.DefaultResyncTenants),
    new ControlPlane.Benchmarks.Events.EventsBenchmark(
        args is ["events", var e] ? long.Parse(e, System.Globalization.CultureInfo.InvariantCulture) : ControlPlane.Benchmarks.Events.EventsBenchmark.DefaultEvents),
    new ControlPlane.Benchmarks.Scale.ScaleBenchmark(
        args is ["scale", var scaleN] ? int.Parse(scaleN, System.Globalization.CultureInfo.InvariantCulture) : ControlPlane.Benchmarks.Scale.ScaleBenchmark.DefaultTenants),
    new ControlPlane.Benchmarks.Rollouts.RolloutBenchmark(
        args is ["rollout", var r] ? int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : ControlPlane.Benchmarks.Rollouts.RolloutBenchmark.DefaultCount),
];

// The runtime benchmark measures each side in a child process of this executable.
if (args is [ControlPlane.Benchmarks.Runtime.RuntimeBenchmark.ChildCommand, var mode, var kubeconfig, var count])
{
    return await ControlPlane.Benchmarks.Runtime.RuntimeBenchmark.RunChildAsync(mode, kubeconfig, int.Parse(count, System.Globalization.CultureInfo.InvariantCulture));
}

// The scale benchmark runs the operator runtime in a child process of this executable too.
if (args is [ControlPlane.Benchmarks.Scale.ScaleBenchmark.ChildCommand, var scaleSide, var scaleConfig, var scaleCount])
{
    return await ControlPlane.Benchmarks.Scale.ScaleBenchmark.RunChildAsync(scaleSide, scaleConfig, int.Parse(scaleCount, System.Globalization.CultureInfo.InvariantCulture));
}

var selected = args.Length == 1 || args is ["provision", _] or ["provision", _, _] or ["rollout", _] or ["events", _] or ["scale", _] ? benchmarks.FirstOrDefault(b => b.Name == args[0]) : null;
if (selected is null)
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project bench/ControlPlane.Benchmarks -- <benchmark>");
    foreach (var benchmark in benchmarks)
    {
        Console.Error.WriteLine($"  {benchmark.Name,-10} {benchmark.Description}");
    }

    return 2;
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancellation.Cancel(); };
return await selected.RunAsync(cancellation.Token);
