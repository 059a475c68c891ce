namespace ControlPlane.Benchmarks;

/// <summary>One benchmark, run as a subcommand of the benchmark executable. Returns the process exit code.</summary>
internal interface IBenchmark
{
    string Name { get; }

    string Description { get; }

    Task<int> RunAsync(CancellationToken cancellationToken);
}
